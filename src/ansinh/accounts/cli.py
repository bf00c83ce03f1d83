"""`ansinh accounts coverage|import|refresh|pending|approve|reject` (the non-cash campaign and the
account approval queue), and `ansinh demo accounts`."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from ansinh.cli import acting_user, emit, fail, progress_bar
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True, help="Payment accounts of beneficiaries (non-cash campaign).")
demo = typer.Typer()  # joins `ansinh demo`


@app.command("coverage")
def coverage_cmd(
    as_of: str = typer.Option("", "--as-of", help="YYYY-MM-DD (default: today)."),
    level: str = typer.Option("commune", "--level", help="commune | district | province"),
    map_: str = typer.Option("", "--map", help="old (before 01/07/2025) | new (default: the map in force on --as-of)"),
    province: str = typer.Option("", "--province", help="Only this province code (default: the installation's, "
                                                       "when it serves one)."),
    json_out: bool = typer.Option(False, "--json", help="One JSON array, one object per unit."),
) -> None:
    """Beneficiaries with an account per unit on a day, against the target in force."""
    from ansinh.accounts import kpi as selectors
    from ansinh.core.roles import OPERATOR
    from ansinh.core.selectors import province_for

    province = province_for(None, province)

    try:
        day = parse_iso(as_of) if as_of else dt.date.today()
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


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Bank list (.xlsx or .csv): holder name, ID number, account number, date."),
    provider: str = typer.Option("", "--provider", help="BIN or bank name when the list has no bank column."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Import a bank's list of accounts opened (idempotent)."""
    from ansinh.accounts.bank_lists import import_bank_list
    from ansinh.core.jobs import BadInput
    from ansinh.core.roles import OPERATOR

    if not file.exists():
        fail(f"{file}: file not found")
    try:
        rep = import_bank_list(file, user=OPERATOR, provider=provider or None)
    except BadInput as exc:
        fail(str(exc))
    emit(rep, json_out, lambda r: print(
        f"{r['file']}: {r['rows']} dòng = {r['created']} tài khoản mới, {r['confirmed']} xác nhận, "
        f"{r['unchanged']} không đổi, {r['unmatched']} không tìm thấy đối tượng, {r['rejected']} bị loại; "
        f"{r['holder_mismatch']} sai tên chủ tài khoản (chờ xem xét)"))


def _user(username: str):
    return acting_user(username)


@app.command("pending")
def pending_cmd(
    as_user: str = typer.Option(..., "--as", help="Username: the queue of that user's scope."),
    limit: int = typer.Option(100, "--limit"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Accounts waiting for approval (masked numbers), oldest first."""
    from ansinh.accounts import lists as selectors

    rows, total = selectors.pending_accounts(_user(as_user), limit=limit)
    out = {"total": total, "accounts": [
        {"account": r["account"].pk, "person": r["person"].pk, "full_name": r["person"].full_name,
         "new": {k: r["new"][k] for k in ("provider", "masked", "holder_name")},
         "old": {k: r["old"][k] for k in ("provider", "masked", "holder_name")} if r["old"] else None,
         "holder_ok": r["holder_ok"], "made_by": r["made_by"].username if r["made_by"] else None,
         "created": r["created"].isoformat(), "source": r["account"].source} for r in rows]}
    emit(out, json_out, lambda d: [print(
        f"#{a['account']} {a['full_name']}: {a['old']['provider'] + ' ' + a['old']['masked'] if a['old'] else 'tiền mặt'}"
        f" -> {a['new']['provider']} {a['new']['masked']} ({a['new']['holder_name']})") for a in d["accounts"]])


@app.command("approve")
def approve_cmd(
    account_id: int = typer.Argument(..., help="Account id (from `ansinh accounts pending`)."),
    as_user: str = typer.Option(..., "--as", help="The approver (approver or province officer; not the maker)."),
    note: str = typer.Option("", "--note"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Approve a pending payment account (maker-checker, the same checks as the web)."""
    from ansinh.accounts.approval import approve_account

    _decide(approve_account, account_id, as_user, json_out, note=note)


@app.command("reject")
def reject_cmd(
    account_id: int = typer.Argument(...),
    as_user: str = typer.Option(..., "--as", help="The approver (approver or province officer; not the maker)."),
    reason: str = typer.Option(..., "--reason"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Reject a pending payment account (it is never paid into)."""
    from ansinh.accounts.approval import reject_account

    _decide(reject_account, account_id, as_user, json_out, reason=reason)


def _decide(service, account_id: int, as_user: str, json_out: bool, **kwargs) -> None:
    """Run an approval decision service as `as_user`; a refusal is one line, exit 2."""
    from ansinh.core.jobs import BadInput

    try:
        acc = service(account_id, _user(as_user), source="cli", **kwargs)
    except BadInput as exc:
        fail(f"account {account_id}: {exc}")
    emit({"account": acc.pk, "approval": acc.approval, "by": as_user}, json_out,
         lambda d: print(f"account {d['account']}: {d['approval']} by {d['by']}"))


@app.command("refresh")
def refresh_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Rebuild the monthly coverage snapshot the dashboard reads."""
    from ansinh.accounts.snapshots import refresh_snapshots
    from ansinh.core.jobs import Progress

    with progress_bar("Tính lại độ bao phủ", enabled=not json_out) as listener:
        out = refresh_snapshots(progress=Progress(listener=listener))
    emit(out, json_out)


@demo.command("accounts")
def demo_cmd(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Give the demo persons their 2024 account history (idempotent)."""
    from ansinh.accounts.demo import demo_setup

    emit(demo_setup(), json_out)
