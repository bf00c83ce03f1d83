"""`ansinh report progress|payroll|cleaning|complaints` (one command per report of the catalogue) and
`ansinh report monthly` (the scheduled monthly progress report: run it daily, it does the work
only on or after the month's first working day, once).

The CLI reads as the operator (everything), or as `--as USER` (that user's scope: a commune
officer gets their commune only). Bad input exits 2 with one line (decision 0015)."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer

from ansinh.cli import acting_user, emit, fail

app = typer.Typer(no_args_is_help=True, help="Reports: figures for a period and a unit, as .xlsx, .docx or .pdf.")

PERIOD = typer.Option(..., "--period", help="2024-06, 06/2024, 2024-Q2, 2024, or 2024-01-01..2024-03-31.")
UNIT = typer.Option("", "--unit", help="Province, old district or commune code (default: the province served).")
MAP = typer.Option("", "--map", help="old (before 01/07/2025) or new (default: the map of the period's end).")
ROWS = typer.Option("commune", "--rows", help="commune, or district (old map only).")
FMT = typer.Option("", "--format", help="xlsx, docx or pdf (the .docx is a Decree 30 cover letter with the annex).")
OUT = typer.Option(None, "--out", "-o", help="Output file (with --format).")
AS = typer.Option("", "--as", help="Username whose scope the report takes (default: the operator, everything).")
JSON = typer.Option(False, "--json", help="Print the figures as JSON.")
OUTSIDE = typer.Option(False, "--outside", help="For outside the department: counts below 5 of HIV and "
                       "disability categories suppressed.")


def _user(username: str):
    from ansinh.core.roles import OPERATOR

    return acting_user(username, default=OPERATOR)


def _run(code: str, period: str, unit: str, map_: str, rows: str, fmt: str, out: Path | None, as_user: str,
         json_out: bool, outside: bool = False) -> None:
    from ansinh.outreach.rendering import PdfUnavailable
    from ansinh.reports import outputs, selectors
    from ansinh.reports.periods import parse_period

    try:
        p = parse_period(period)
    except ValueError as exc:
        fail(f"--period: {exc}")
    if map_ and map_ not in ("old", "new"):
        fail(f"--map: {map_!r} is not old or new")
    if fmt and fmt not in outputs.FORMATS:
        fail(f"--format: {fmt!r} is not xlsx, docx or pdf")
    if bool(fmt) != (out is not None):
        fail("--format and --out go together")
    user = _user(as_user)
    try:
        report = selectors.build(code, user, p, unit or None, map_ or None, rows, outside=outside)
    except selectors.ReportError as exc:
        fail(str(exc))
    data = report.as_dict()
    if fmt:
        try:
            blob = outputs.render(report, fmt, day=dt.date.today())
        except PdfUnavailable as exc:
            fail(str(exc))
        try:
            out.write_bytes(blob)
        except OSError as exc:
            fail(f"{out}: {exc.strerror or exc}")
        from ansinh.reports.services import sha256

        data["file"] = {"path": str(out), "bytes": len(blob), "sha256": sha256(blob)}

    def human(d):
        from ansinh.formats import vn_number

        print(f"{d['title']} — {d['unit_label']} — {p.label} (bản đồ {d['map']}, tính đến {report.as_of:%d/%m/%Y})")
        tot = d["figures"].get("total") or {}
        print("  " + ", ".join(f"{k} {vn_number(v) if isinstance(v, int) else v}" for k, v in tot.items()
                               if k not in ("label",) and v is not None))
        if "file" in d:
            print(f"  {d['file']['path']} ({d['file']['bytes']} bytes, sha256 {d['file']['sha256'][:16]}…)")

    emit(data, json_out, human)


@app.command("progress")
def progress(period: str = PERIOD, unit: str = UNIT, map_: str = MAP, rows: str = ROWS, fmt: str = FMT,
             out: Path | None = OUT, as_user: str = AS, json_out: bool = JSON, outside: bool = OUTSIDE) -> None:
    """Non-cash payment progress: beneficiaries, with an account, confirmed, paid through an account and
    in cash in the period, against the target band and the previous period; by commune or old district,
    category, provider, channel, gender, ethnicity, age group."""
    _run("progress", period, unit, map_, rows, fmt, out, as_user, json_out, outside)


@app.command("payroll")
def payroll(period: str = PERIOD, unit: str = UNIT, map_: str = MAP, rows: str = ROWS, fmt: str = FMT,
            out: Path | None = OUT, as_user: str = AS, json_out: bool = JSON, outside: bool = OUTSIDE) -> None:
    """Payroll summary per month: lines and amounts by commune, category, channel; paid, unpaid, pending,
    arrears, corrections."""
    _run("payroll", period, unit, map_, rows, fmt, out, as_user, json_out, outside)


@app.command("cleaning")
def cleaning(period: str = PERIOD, unit: str = UNIT, map_: str = MAP, rows: str = ROWS, fmt: str = FMT,
             out: Path | None = OUT, as_user: str = AS, json_out: bool = JSON, outside: bool = OUTSIDE) -> None:
    """Data cleaning progress (đúng, đủ, sạch, sống) by commune: IDs, ID proposals, duplicates, deaths,
    open blocking issues."""
    _run("cleaning", period, unit, map_, rows, fmt, out, as_user, json_out, outside)


@app.command("complaints")
def complaints(period: str = PERIOD, unit: str = UNIT, map_: str = MAP, rows: str = ROWS, fmt: str = FMT,
               out: Path | None = OUT, as_user: str = AS, json_out: bool = JSON, outside: bool = OUTSIDE) -> None:
    """Complaints, denunciations and feedback: received, accepted, decided in time or late in the period,
    open and overdue at its end; by commune, category, channel and kind."""
    _run("complaints", period, unit, map_, rows, fmt, out, as_user, json_out, outside)


@app.command("monthly")
def monthly(today: str = typer.Option("", "--today", help="YYYY-MM-DD (default today): the day to act as."),
            now: bool = typer.Option(False, "--now", help="Run the job in this process instead of queueing it."),
            json_out: bool = JSON) -> None:
    """The scheduled monthly progress report: on or after the month's first working day, once, a
    background job makes the previous month's report for every served province and keeps it (sha256)."""
    from ansinh.reports import services
    from ansinh.text.dates import parse_iso

    try:
        day = parse_iso(today) if today else dt.date.today()
    except ValueError:
        fail(f"--today: {today!r} is not a date YYYY-MM-DD")
    job = services.schedule_monthly(day, inline=now)
    data = {"due": job is not None, "period": services.monthly_period(day).code,
            "job": str(job.pk) if job else None, "status": job.status if job else None,
            "result": job.result if job else None, "error": job.error.splitlines()[0] if job and job.error else ""}
    if job is not None and job.error:
        sys.stderr.write(f"ansinh: {data['error']}\n")
    emit(data, json_out, lambda d: print(
        f"monthly report {d['period']}: " + (f"job {d['job']} {d['status']}" if d["due"] else "nothing due")))
