"""`ansinh units ...`: load the administrative units, resolve addresses, show a code."""
from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from ansinh.cli import emit, fail, progress_bar
from ansinh.text import detect_legacy_column
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True,
                  help="Administrative units: load them, convert old addresses to the new map, look up a code.")

NOT_LOADED = "administrative units are not loaded: run `ansinh init`"
LEGACY_SAMPLE = 5000
OUT_COLUMNS = ["status", "old_code", "old_name", "new_code", "new_name", "candidates"]


def parse_date(value: str | None, option: str = "--on") -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso(value.strip())
    except ValueError:
        fail(f"{option}: not a date (YYYY-MM-DD): {value!r}")


def _require_loaded() -> None:
    from django.db import DatabaseError

    from ansinh.units.models import AdminUnit

    try:
        loaded = AdminUnit.objects.exists()
    except DatabaseError:
        loaded = False
    if not loaded:
        fail(NOT_LOADED)


def _resolver():
    from ansinh.units.resolver import Resolver, UnitsNotLoaded

    _require_loaded()
    try:
        return Resolver.from_db()
    except UnitsNotLoaded:
        fail(NOT_LOADED)


@app.command("load")
def load(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Load (or update) the administrative units of the old and the new map, with their successions of 01/07/2025."""
    from ansinh.core.jobs import Progress
    from ansinh.units.loader import load_units

    with progress_bar("Nạp đơn vị hành chính", enabled=not as_json) as listener:
        counts = load_units(Progress(listener=listener) if listener else None)

    def human(c: dict) -> None:
        if not c.get("changed"):
            sys.stdout.write(f"Dữ liệu {c.get('version', '')} đã nạp trước đó: không thay đổi.\n")
        sys.stdout.write(
            f"Tỉnh: {c.get('provinces_old')} cũ, {c.get('provinces_new')} mới; huyện (cũ): {c.get('districts')}; "
            f"xã: {c.get('communes_old')} cũ, {c.get('communes_new')} mới; kế thừa: {c.get('successions')} "
            f"({c.get('split_communes')} xã cũ bị chia tách)\n")
        for p in c.get("problems") or []:
            sys.stdout.write(f"  ! {p}\n")

    emit(counts, as_json, human)


def _human_result(r: dict) -> None:
    out = sys.stdout
    out.write(f"{r['input']}\n  trạng thái: {r['status']}\n")
    if r.get("old"):
        o = r["old"]
        out.write(f"  cũ:  {o['code']} {o['name']}, {o['district']}, {o['province']}\n")
    if r.get("new"):
        n = r["new"]
        out.write(f"  mới: {n['code']} {n['name']}, {n['province']}\n")
    split = r["status"] == "ambiguous" and r.get("old") is not None
    for i, c in enumerate(r.get("candidates") or []):
        where = ", ".join(x for x in (c.get("district"), c.get("province")) if x)
        mark = " (mặc định theo nguồn dữ liệu)" if split and i == 0 else ""
        out.write(f"  ? {c['code']} {c['name']}, {where}{mark}\n")
    if r.get("reason"):
        out.write(f"  lý do: {r['reason']}\n")


def _candidates_text(r: dict) -> str:
    return "; ".join(f"{c['code']} {c['name']}" for c in r.get("candidates") or [])


@app.command("resolve")
def resolve(
    address: Optional[str] = typer.Argument(None, help="An address, e.g. \"Xã Hồng Phong, Huyện Bình Gia, Lạng Sơn\"."),
    on: Optional[str] = typer.Option(None, "--on", help="Day (YYYY-MM-DD) that decides which map is in force; default today."),
    file: Optional[Path] = typer.Option(None, "--file", help="A CSV file (UTF-8) to convert."),
    column: Optional[str] = typer.Option(None, "--column", help="Name of the address column in the CSV file."),
    out: Optional[Path] = typer.Option(None, "--out", help="Result CSV file (UTF-8 with BOM, opens in Excel)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Convert an address (or a column of a CSV file) to its old and new administrative units."""
    day = parse_date(on) or dt.date.today()
    if file is None:
        if not address:
            fail("give an ADDRESS or --file FILE.csv --column NAME --out OUT.csv")
        if column or out:
            fail("--column and --out go with --file")
        result = _resolver().resolve(address, day)
        emit(result, as_json, _human_result)
        return
    if address:
        fail("give either an ADDRESS or --file, not both")
    if not column:
        fail("--file needs --column NAME")
    if out is None:
        fail("--file needs --out OUT.csv")
    summary = resolve_csv(file, column, out, day)
    if as_json:
        emit(summary, True)
    else:
        parts = ", ".join(f"{k} {v}" for k, v in summary["statuses"].items())
        legacy = f" (phông cũ {summary['legacy_encoding'].upper()})" if summary["legacy_encoding"] else ""
        sys.stdout.write(f"{summary['rows']} dòng{legacy} → {out}: {parts}\n")


def resolve_csv(path: Path, column: str, out: Path, on: dt.date) -> dict:
    """Stream `path`, resolve `column` of every row, write `out` with the result columns added."""
    try:
        src = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    counts: Counter = Counter()
    rows = 0
    with src:
        try:
            first_line = src.readline()
        except UnicodeDecodeError:
            fail(f"cannot read {path}: not UTF-8 text")
        if not first_line.strip():
            fail(f"{path}: empty file, no column {column!r}")
        # The delimiter is the one that makes the header contain the column (Excel
        # in Vietnamese locales often writes ";").
        header, delimiter = None, ","
        for delim in (",", ";", "\t", "|"):
            try:
                cells = [h.strip() for h in next(csv.reader([first_line], delimiter=delim))]
            except (csv.Error, StopIteration):
                continue
            if column in cells:
                header, delimiter = cells, delim
                break
        if header is None:
            cells = [h.strip() for h in next(csv.reader([first_line]))]
            fail(f"{path}: no column {column!r} (columns: {', '.join(cells)})")
        idx = header.index(column)
        # A column typed with legacy fonts (TCVN3/VNI) is recognised on a sample of it.
        try:
            sample = [row[idx] for row, _ in zip(csv.reader(src, delimiter=delimiter), range(LEGACY_SAMPLE))
                      if len(row) > idx]
        except (csv.Error, UnicodeDecodeError) as exc:
            fail(f"cannot read {path}: {exc}")
        legacy = detect_legacy_column(sample)
        src.seek(0)
        reader = csv.reader(src, delimiter=delimiter)
        next(reader)
        resolver = _resolver()
        extra = [c for c in OUT_COLUMNS if c not in header]
        try:
            dst = open(out, "w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
        with dst:
            writer = csv.writer(dst, delimiter=delimiter)
            writer.writerow(header + extra)
            try:
                for row in reader:
                    if not any(cell.strip() for cell in row):
                        writer.writerow(row)  # blank lines stay where they were
                        continue
                    row = row + [""] * (len(header) - len(row))
                    r = resolver.resolve(row[idx], on, legacy)
                    counts[r["status"]] += 1
                    rows += 1
                    values = {
                        "status": r["status"],
                        "old_code": (r["old"] or {}).get("code", ""),
                        "old_name": (r["old"] or {}).get("name", ""),
                        "new_code": (r["new"] or {}).get("code", ""),
                        "new_name": (r["new"] or {}).get("name", ""),
                        "candidates": _candidates_text(r) or r.get("reason", ""),
                    }
                    out_row = list(row)
                    for c in OUT_COLUMNS:
                        if c in header:
                            out_row[header.index(c)] = values[c]
                    writer.writerow(out_row + [values[c] for c in extra])
            except (csv.Error, UnicodeDecodeError) as exc:
                fail(f"cannot read {path} (row {rows + 2}): {exc}")
    order = ["exact", "converted", "ambiguous", "not_found"]
    return {"rows": rows, "out": str(out), "legacy_encoding": legacy,
            "statuses": {k: counts.get(k, 0) for k in order}}


@app.command("show")
def show(
    code: str = typer.Argument(..., help="Unit code (province, district or commune)."),
    on: Optional[str] = typer.Option(None, "--on", help="Only the units in force on this day (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every unit with code CODE (a code may be reused after 01/07/2025), its validity and successions."""
    from django.db.models import F

    from ansinh.units.models import AdminUnit
    from ansinh.units.selectors import unit_history

    day = parse_date(on)
    _require_loaded()
    qs = AdminUnit.objects.filter(code=code.strip()).select_related("parent")
    if day:
        qs = qs.valid_on(day)
    units = list(qs.order_by("level", F("valid_from").asc(nulls_first=True)))
    if not units:
        fail(f"no administrative unit with code {code!r}" + (f" on {day.isoformat()}" if day else ""))
    data = []
    for u in units:
        h = unit_history(u)
        data.append({
            "code": u.code, "name": u.name, "kind": u.kind, "level": u.level, "province_code": u.province_code,
            "parent": {"code": u.parent.code, "name": u.parent.name} if u.parent else None,
            "valid_from": u.valid_from, "valid_to": u.valid_to,
            "predecessors": [_link(x) for x in h["predecessors"]],
            "successors": [_link(x) for x in h["successors"]],
        })

    def human(items: list) -> None:
        for d in items:
            vf = d["valid_from"].strftime("%d/%m/%Y") if d["valid_from"] else "…"
            vt = d["valid_to"].strftime("%d/%m/%Y") if d["valid_to"] else "…"
            parent = f", {d['parent']['name']}" if d["parent"] else ""
            sys.stdout.write(f"{d['code']} {d['name']}{parent}  [{vf} – {vt}]\n")
            for p in d["predecessors"]:
                sys.stdout.write(f"  ← {p['code']} {p['name']} ({p['kind']}, {p['effective']:%d/%m/%Y})\n")
            for s in d["successors"]:
                mark = ", mặc định" if s["is_default"] and s["kind"] == "split" else ""
                sys.stdout.write(f"  → {s['code']} {s['name']} ({s['kind']}{mark}, {s['effective']:%d/%m/%Y})\n")

    emit(data, as_json, human)


def _link(x: dict) -> dict:
    u = x["unit"]
    return {"code": u.code, "name": u.name, "effective": x["effective"], "kind": x["kind"],
            "is_default": x["is_default"]}
