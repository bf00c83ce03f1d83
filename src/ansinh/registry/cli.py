"""`ansinh registry import|export persons|quality list`, and `ansinh demo data`.

`ansinh registry import PATH...` imports every list file given (a directory means all the list
files in it, sorted by name). Each file is its own transaction: a file that cannot be
read or imported is named with its error and the others are still imported. The exit
code is 0 when every file was imported (or had already been imported), 2 when at least
one could not be — after importing the rest, with one line on stderr naming how many
failed and the first error; the JSON on stdout lists every file either way.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer

from ansinh.cli import emit, fail, rows_bar
from ansinh.core.roles import OPERATOR
from ansinh.registry import transfer_cli

app = typer.Typer(no_args_is_help=True, help="The registry of beneficiaries: import lists, export, data quality.")
export_app = typer.Typer(no_args_is_help=True, help="Export registry data.")
quality_app = typer.Typer(no_args_is_help=True, help="Data-quality issues of the registry.")
app.add_typer(export_app, name="export")
app.add_typer(quality_app, name="quality")
app.add_typer(transfer_cli.app, name="transfer")
app.command("death")(transfer_cli.death_cmd)
app.command("authorisations")(transfer_cli.authorisations_cmd)
demo = typer.Typer()  # joins `ansinh demo`


@app.command("import")
def import_cmd(
    paths: list[Path] = typer.Argument(..., help="List files (.xlsx .xls .ods .csv) or directories of them."),
    paid_through: str = typer.Option("", "--paid-through", help="YYYY-MM the previous process paid through "
                                                                 "(default: the month named in each list's title)."),
    province: str = typer.Option("", "--province", help="Province code to settle commune names that exist in "
                                                        "several provinces (default: the installation's)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Import beneficiary lists into the registry (idempotent: a file already imported changes nothing)."""
    from ansinh.core.jobs import BadInput, Progress
    from ansinh.core.selectors import province_for
    from ansinh.registry.importing.files import import_file, list_files, month_str

    province = province_for(None, province)

    try:
        paid = month_str(paid_through) if paid_through else None
    except BadInput as exc:
        fail(f"--paid-through: {exc}")
    missing = [p for p in paths if not p.exists()]
    files = list_files([p for p in paths if p.exists()])
    if not files and not missing:
        fail(f"no list files ({', '.join(('.xlsx', '.xls', '.ods', '.csv'))}) in {', '.join(map(str, paths))}")
    entries: list[dict] = [{"file": str(p), "error": f"{p}: file not found"} for p in missing]
    with rows_bar("Nhập danh sách", len(files), enabled=not json_out) as bar:
        for i, f in enumerate(files):
            # the bar moves with the rows of each file (the import's Progress), not once per file
            progress = Progress(listener=bar.file(i, f.name) if bar else None)
            try:
                rep = import_file(f, OPERATOR, paid_through=paid, province=province or None, progress=progress)
            except BadInput as exc:
                entries.append({"file": str(f), "error": str(exc)})
                continue
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others (rolled back)
                first = str(exc).splitlines()[0] if str(exc) else ""
                entries.append({"file": str(f), "error": f"{f.name}: {type(exc).__name__}: {first}"})
                continue
            entries.append({"file": str(f), "rows": rep["rows"], "imported": rep["imported"],
                            "updated": rep["updated"], "rejected": rep["rejected"], "issues": rep["issues"],
                            "batch": rep["batch"], "already_imported": bool(rep.get("already_imported"))})
        if bar:
            bar.finish(len(files), "xong")
    totals: Counter = Counter()
    issues: Counter = Counter()
    for e in entries:
        if "error" in e:
            totals["failed"] += 1
            continue
        totals["already_imported"] += e["already_imported"]
        if not e["already_imported"]:
            for k in ("rows", "imported", "updated", "rejected"):
                totals[k] += e[k]
            issues.update(e["issues"])
    out = {"files": entries,
           "totals": {"files": len(entries), "rows": totals["rows"], "imported": totals["imported"],
                      "updated": totals["updated"], "rejected": totals["rejected"],
                      "already_imported": totals["already_imported"], "failed": totals["failed"],
                      "issues": dict(sorted(issues.items()))}}
    emit(out, json_out, _print_import)
    if totals["failed"]:
        first = next(e for e in entries if "error" in e)
        fail(f"{totals['failed']} of {len(entries)} file(s) could not be imported; first: {first['error']}")


def _print_import(out: dict) -> None:
    for e in out["files"]:
        name = Path(e["file"]).name
        if "error" in e:
            print(f"  LỖI  {name}: {e['error']}")
        elif e["already_imported"]:
            print(f"  ĐÃ NHẬP  {name} (lần nhập #{e['batch']})")
        else:
            print(f"  {name}: {e['rows']} dòng = {e['imported']} mới + {e['updated']} cập nhật + "
                  f"{e['rejected']} bị loại")
    t = out["totals"]
    print(f"Tổng: {t['files']} tệp, {t['rows']} dòng = {t['imported']} mới + {t['updated']} cập nhật + "
          f"{t['rejected']} bị loại; {t['already_imported']} tệp đã nhập trước đó; {t['failed']} tệp lỗi")
    if t["issues"]:
        print("Vấn đề: " + ", ".join(f"{k} {v}" for k, v in t["issues"].items()))


@export_app.command("persons")
def export_persons(
    out: Path = typer.Option(..., "--out", help="FILE.csv (streamed) or FILE.xlsx"),
    commune: str = typer.Option("", "--commune", help="Only this current commune (code)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """One row per person: id, full name, dob (ISO), gender, ID number, current commune code, category,
    status, open issue codes."""
    from ansinh.audit import reads as audit_reads
    from ansinh.core import masking
    from ansinh.registry import selectors

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        fail(f"--out must end with .csv or .xlsx, not {out.name!r}")
    if commune and not selectors.commune_ids_for_code(commune):
        fail(f"no current commune with code {commune!r}")
    if not out.parent.exists():
        fail(f"folder {out.parent} does not exist")
    qs = selectors.persons(OPERATOR, commune=commune or None)
    n = 0
    if suffix == ".csv":
        with open(out, "w", encoding="utf-8", newline="") as fh:
            for line in selectors.export_csv_lines(qs, masking.for_user(OPERATOR)):
                fh.write(line)
                n += 1
        n -= 1  # header
    else:
        n = selectors.export_xlsx(qs, out, masking.for_user(OPERATOR))
    audit_reads.people_exported(OPERATOR, qs, out, out.name)
    emit({"out": str(out), "rows": n}, json_out, lambda d: print(f"{d['rows']} đối tượng → {d['out']}"))


@quality_app.command("list")
def quality_list(
    rule: str = typer.Option("", "--rule", help="Rule code, e.g. ID_SHAPE, RESIDENCE."),
    commune: str = typer.Option("", "--commune", help="Current commune code."),
    status: str = typer.Option("open", "--status", help="open, fixed, waived, note (information, not a queue item) or all."),
    limit: int = typer.Option(1000, "--limit", help="At most this many issues listed (0 = all); counts are complete."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Quality issues of the registry, with counts by rule."""
    from ansinh.registry import rules, selectors
    from ansinh.registry.models import IssueStatus

    known = set(rules.RULES)
    if rule and rule not in known:
        fail(f"unknown rule {rule!r} (known: {', '.join(sorted(known))})")
    if status not in (*IssueStatus.values, "all"):
        fail(f"--status must be one of {', '.join(IssueStatus.values)}, all")
    if commune and not selectors.commune_ids_for_code(commune):
        fail(f"no current commune with code {commune!r}")
    qs = selectors.issues(OPERATOR, rule=rule or None, commune=commune or None,
                          status=None if status == "all" else status)
    by_rule = Counter(qs.values_list("rule", flat=True))
    rows = qs.select_related("person__commune")
    if limit > 0:
        rows = rows[:limit]
    items = [{"id": i.pk, "person_id": i.person_id, "person": i.person.full_name,
              "commune": i.person.commune.code if i.person.commune else "", "rule": i.rule,
              "severity": i.severity, "field": i.field, "message": i.message, "status": i.status}
             for i in rows]
    data = {"count": sum(by_rule.values()), "by_rule": dict(sorted(by_rule.items())), "issues": items}
    emit(data, json_out, _print_quality)


@app.command("recheck")
def recheck_cmd(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Close every open issue whose condition no longer holds (with history); safe to repeat."""
    from ansinh.registry.models import IssueStatus, QualityIssue
    from ansinh.registry.recheck import recheck_persons

    closed = recheck_persons(None, user=None, source="cli:recheck")
    still = QualityIssue.objects.filter(status=IssueStatus.OPEN).count()
    emit({"closed": closed, "open": still}, json_out,
         lambda d: print(f"Đã tự đóng {d['closed']:,} vấn đề; còn {d['open']:,} vấn đề chưa xử lý".replace(",", ".")))


def _print_quality(d: dict) -> None:
    for i in d["issues"]:
        print(f"{i['id']:>7} {i['rule']:<18} {i['severity']:<8} {i['commune']:<6} {i['person']}: {i['message']}")
    print(f"{d['count']} vấn đề: " + ", ".join(f"{k} {v}" for k, v in d["by_rule"].items()), file=sys.stdout)


@demo.command("data")
def demo_data(
    province: str = typer.Option("", "--province", help="Province code of the pre-2025 map (04 = Cao Bằng; "
                                                        "default: the installation's, when it serves one)."),
    people: int = typer.Option(60000, "--people", min=1),
    seed: int = typer.Option(1, "--seed"),
    out: Path = typer.Option(Path("demo-data"), "--out", help="Folder for the lists and ground_truth.csv."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Write realistic, messy commune lists (one per pre-2025 commune) with a ground truth."""
    from ansinh.core.selectors import province_for
    from ansinh.registry.demo_lists import generate

    province = province_for(None, province)
    if not province:
        fail("--province: which province? (this installation serves none or several: ansinh init --province CODE)")
    try:
        summary = generate(province_code=province, people=people, seed=seed, out_dir=out)
    except ValueError as exc:
        fail(str(exc))
    emit(summary, json_out, lambda s: print(f"{s['files']} tệp, {s['rows']} dòng ({s['people']} người) → "
                                            f"{s['out_dir']}"))
