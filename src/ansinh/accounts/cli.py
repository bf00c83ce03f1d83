"""Campaign commands: `ansinh coverage`, `ansinh accounts import FILE`, `ansinh accounts refresh`."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from ansinh.cli import emit, fail, progress_bar

accounts_app = typer.Typer(no_args_is_help=True, help="Payment accounts of beneficiaries (non-cash campaign).")


def coverage_cmd(
    as_of: str = typer.Option("", "--as-of", help="YYYY-MM-DD (default: today)."),
    level: str = typer.Option("commune", "--level", help="commune | district | province"),
    map_: str = typer.Option("", "--map", help="old (before 01/07/2025) | new (default: the map in force on --as-of)"),
    province: str = typer.Option("", "--province", help="Only this province code (e.g. 20)."),
    json_out: bool = typer.Option(False, "--json", help="One JSON array, one object per unit."),
) -> None:
    """Beneficiaries with an account per unit on a day, against the target in force."""
    from ansinh.accounts import selectors
    from ansinh.registry.selectors import OPERATOR

    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date YYYY-MM-DD")
    if level not in selectors.LEVELS:
        fail(f"--level must be one of {', '.join(selectors.LEVELS)}, not {level!r}")
    if map_ and map_ not in selectors.MAPS:
        fail(f"--map must be old or new, not {map_!r}")
    try:
        units = selectors.coverage(OPERATOR, day, level, map_ or None, province=province or None)
    except selectors.CoverageError as exc:
        fail(f"--map/--level: {exc}")
    emit([u.as_dict() for u in units], json_out, _print_coverage)


def _print_coverage(rows: list[dict]) -> None:
    print(f"{'mã':<7} {'tên':<34} {'đối tượng':>9} {'có TK':>7} {'xác nhận':>8} {'tỷ lệ':>6}  mục tiêu")
    for r in rows:
        t = f"{r['target_low']:g}–{r['target_high']:g}%" if r["target_low"] is not None else ""
        print(f"{r['code']:<7} {r['name'][:34]:<34} {r['beneficiaries']:>9} {r['with_account']:>7} "
              f"{r['confirmed']:>8} {r['share']:>5.1f}%  {t}")


@accounts_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Bank list (.xlsx or .csv): holder name, ID number, account number, date."),
    provider: str = typer.Option("", "--provider", help="BIN or bank name when the list has no bank column."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Import a bank's list of accounts opened (idempotent)."""
    from ansinh.accounts.services import import_bank_list
    from ansinh.core.jobs import BadInput

    if not file.exists():
        fail(f"{file}: file not found")
    try:
        rep = import_bank_list(file, provider=provider or None)
    except BadInput as exc:
        fail(str(exc))
    emit(rep, json_out, lambda r: print(
        f"{r['file']}: {r['rows']} dòng = {r['created']} tài khoản mới, {r['confirmed']} xác nhận, "
        f"{r['unchanged']} không đổi, {r['unmatched']} không tìm thấy đối tượng, {r['rejected']} bị loại; "
        f"{r['holder_mismatch']} sai tên chủ tài khoản (chờ xem xét)"))


@accounts_app.command("refresh")
def refresh_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Rebuild the monthly coverage snapshot the dashboard reads."""
    from ansinh.accounts.services import refresh_snapshots
    from ansinh.core.jobs import Progress

    with progress_bar("Tính lại độ bao phủ", enabled=not json_out) as listener:
        out = refresh_snapshots(progress=Progress(listener=listener))
    emit(out, json_out)


@accounts_app.command("demo")
def demo_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Give the demo persons their 2024 account history (idempotent)."""
    from ansinh.accounts.services import demo_setup

    emit(demo_setup(), json_out)


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage_cmd)
    app.add_typer(accounts_app, name="accounts")
