"""Benchmark of ansinh.units.resolver: speed and accuracy on generated addresses.

Standalone: uses a throwaway SQLite database in a temporary folder (migrated and loaded
with the administrative units), generates addresses across the whole country with a
known truth, resolves them on one core and prints a report; with --write (the default)
the report is appended to bench/RESULTS.md.

    .venv/bin/python bench/units_resolve.py [--n 100000] [--seed 20250701] [--no-write]
"""
from __future__ import annotations

import _machine  # bench/_machine.py (this folder is on sys.path when run as a script)
import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATE = 5000
NEW_DATE = dt.date(2025, 8, 1)
OLD_DATE = dt.date(2025, 3, 1)

VILLAGES = ["Thôn Nà Pàn", "Bản Khe Mạ", "Tổ 5", "Xóm 3", "Số nhà 12", "Khu 2", "Thôn Đồng Tâm", "Ấp 3",
            "Khối 4", "Số 45 đường Trần Phú", "Tổ dân phố 7"]
ABBR = {"Xã": "X.", "Phường": "P.", "Thị trấn": "TT.", "Đặc khu": "Đặc khu ", "Huyện": "H.", "Quận": "Q.",
        "Thị xã": "TX.", "Thành phố": "TP.", "Tỉnh": "T."}


def setup_django(tmp: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ansinh.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["ANSINH_VAR"] = str(tmp)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def machine() -> str:
    return _machine.machine(with_memory=False)


def base_name(name: str, kind: str) -> str:
    return name[len(kind) + 1:] if name.startswith(kind + " ") else name


def render(rng: random.Random, commune, district, province, encode_tcvn3) -> str:
    """One address in a random official style."""
    from ansinh.text import fold

    style_type = rng.choice(["full", "full", "abbr", "abbr_nospace", "none"])

    def part(name: str, kind: str, optional_type: bool = False) -> str:
        base = base_name(name, kind)
        st = style_type
        if optional_type and rng.random() < 0.3:
            st = "none"
        if st == "full":
            return f"{kind} {base}"
        if st == "abbr":
            return f"{ABBR.get(kind, kind)} {base}"
        if st == "abbr_nospace":
            return f"{ABBR.get(kind, kind)}{base}"
        return base

    parts = []
    if rng.random() < 0.6:
        parts.append(rng.choice(VILLAGES))
    parts.append(part(commune.name, commune.kind))
    if district is not None:
        parts.append(part(district.name, district.kind, optional_type=True))
    if province is not None:
        r = rng.random()
        if r < 0.5:
            parts.append(province.short_name)
        else:
            parts.append(part(province.name, province.kind))
    sep = rng.choice([", ", ", ", " - ", "; ", " ", ",", " / "])
    text = sep.join(parts)
    case = rng.random()
    marks = rng.random()
    if marks < 0.3:
        text = fold(text)
        text = text.lower() if case < 0.6 else text.title() if case < 0.8 else text
    else:
        if case < 0.1:
            text = text.upper()
        elif case < 0.2:
            text = text.lower()
        if encode_tcvn3 is not None and rng.random() < 0.06:
            text = encode_tcvn3(text)
    return text


def generate(n: int, seed: int):
    from ansinh.units.models import REFORM_DATE, AdminUnit, Level, UnitSuccession

    try:
        from ansinh.text.legacy import unicode_to_tcvn3
    except ImportError:  # pragma: no cover
        unicode_to_tcvn3 = None
    rng = random.Random(seed)
    units = {u.id: u for u in AdminUnit.objects.all()}
    succ: dict[int, list] = {}
    for s in UnitSuccession.objects.all():
        succ.setdefault(s.predecessor_id, []).append((s.successor_id, s.kind))
    old = [u for u in units.values() if u.level == Level.COMMUNE and u.valid_from is None]
    new = [u for u in units.values() if u.level == Level.COMMUNE and u.valid_from == REFORM_DATE]
    out = []
    for _ in range(n):
        if rng.random() < 0.6:
            c = rng.choice(old)
            district = units[c.parent_id]
            province = units[district.parent_id]
            on = NEW_DATE if rng.random() < 0.75 else OLD_DATE
            if on < REFORM_DATE:
                truth = ("exact", c.code, None)
            else:
                ss = succ.get(c.id, [])
                if len(ss) == 1 and ss[0][1] == "whole":
                    truth = ("converted", c.code, units[ss[0][0]].code)
                else:
                    truth = ("ambiguous", c.code, tuple(sorted(units[s].code for s, _ in ss)))
            with_district = rng.random() < 0.7
            with_province = rng.random() < 0.85
            text = render(rng, c, district if with_district else None, province if with_province else None,
                          unicode_to_tcvn3)
            shape = ("old", with_district, with_province)
        else:
            c = rng.choice(new)
            province = units[c.parent_id]
            on = NEW_DATE
            truth = ("exact", None, c.code)
            with_province = rng.random() < 0.85
            text = render(rng, c, None, province if with_province else None, unicode_to_tcvn3)
            shape = ("new", False, with_province)
        out.append((text, on, truth, shape))
    return out


def judge(res: dict, truth) -> str:
    status, old_code, new = truth
    if res["status"] in ("not_found",):
        return "not_found"
    if status == "exact" and old_code:  # old date: the old commune
        if res["status"] != "exact":
            return "ambiguous" if res["status"] == "ambiguous" else "wrong"
        return "ok" if res["old"] and res["old"]["code"] == old_code else "wrong"
    if status in ("exact", "converted"):
        if res["status"] not in ("exact", "converted"):
            return "ambiguous" if res["status"] == "ambiguous" else "wrong"
        if not (res["new"] and res["new"]["code"] == new):
            return "wrong"
        # Right new unit; "exact" for an old name that is also the successor's name is fine too.
        return "ok" if res["status"] == status else "ok_equivalent"
    if res["status"] != "ambiguous":
        return "wrong"
    # split commune: its successors
    got = tuple(sorted(c["code"] for c in res["candidates"]))
    if res["old"] and res["old"]["code"] == old_code and got == new:
        return "ok"
    return "ambiguous"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20250701)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ansinh-bench-") as tmpdir:
        tmp = Path(tmpdir)
        setup_django(tmp)
        from ansinh.units.loader import load_units
        from ansinh.units.resolver import Resolver

        t0 = time.perf_counter()
        counts = load_units()
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        resolver = Resolver.build()
        t_build = time.perf_counter() - t0
        cases = generate(args.n, args.seed)
        distinct = len({c[0] for c in cases})
        resolver.cache_clear()
        resolve = resolver.resolve
        load_before = os.getloadavg()[0]
        c0 = time.process_time()
        t0 = time.perf_counter()
        results = [resolve(text, on) for text, on, _, _ in cases]
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        info = resolver.cache_info()
        verdicts = Counter()
        by_shape: dict[tuple, Counter] = {}
        errors = []
        for (text, on, truth, shape), res in zip(cases, results):
            v = judge(res, truth)
            verdicts[v] += 1
            by_shape.setdefault(shape, Counter())[v] += 1
            if v != "ok" and len(errors) < args.show_errors:
                errors.append((v, text, on, truth, res, shape))
    n = len(cases)
    rate = n / cpu  # CPU time of this single-threaded process: one core, robust to other load
    wall_rate = n / elapsed
    lines = [
        f"## units_resolve — {dt.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"- machine: {machine()}",
        f"- data: vietnamadminunits {counts.get('version')}; load {t_load:.2f} s; resolver build {t_build:.2f} s",
        f"- addresses: {n:,} generated (seed {args.seed}, {distinct:,} distinct; cache hits {info.hits:,})",
        f"- speed: {rate:,.0f} addresses/s on one core (CPU time {cpu:.2f} s; wall {elapsed:.2f} s = "
        f"{wall_rate:,.0f}/s with load average {load_before:.2f}); target ≥ {TARGET_RATE:,}/s; "
        f"ratio {rate / TARGET_RATE:.2f}×",
        f"- accuracy: {(verdicts['ok'] + verdicts['ok_equivalent']) / n:.2%} name the right unit "
        f"({verdicts['ok'] / n:.2%} with the same status, {verdicts['ok_equivalent']:,} old names read as the "
        f"same-named new successor: exact instead of converted); "
        f"ambiguous {verdicts['ambiguous']:,}, not_found {verdicts['not_found']:,}, wrong unit {verdicts['wrong']:,}",
        "- by shape (map, district given, province given): "
        + "; ".join(f"{s[0]}/{'D' if s[1] else '-'}/{'P' if s[2] else '-'}: "
                    f"{(c['ok'] + c['ok_equivalent']) / sum(c.values()):.1%} ok, {c['ambiguous']} amb, {c['not_found']} nf, {c['wrong']} wrong"
                    for s, c in sorted(by_shape.items())),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    for v, text, on, truth, res, shape in errors:
        print(v, shape, repr(text), on, truth, res["status"], res.get("old"), res.get("new"),
              [c["code"] for c in res["candidates"]][:6], res.get("reason", ""))
    if not args.no_write:
        path = ROOT / "bench" / "RESULTS.md"
        with open(path, "a", encoding="utf-8") as fh:
            if fh.tell() == 0:
                fh.write("# Benchmark results\n\n")
            fh.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
