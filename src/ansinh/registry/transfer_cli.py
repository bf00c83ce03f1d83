"""`ansinh registry transfer stop|accept|list` and `ansinh registry death`: a beneficiary's move
between communes (the old commune's stop decision, the new commune's start decision) and a death
recorded by an officer. Every write needs `--as USER` (recorded in the history); there is no
`ansinh person` group, so these live under the registry (decision 0015: one group per noun)."""
from __future__ import annotations

import typer

from ansinh.cli import acting_user, emit, fail

app = typer.Typer(no_args_is_help=True, help="Transfers of beneficiaries between communes.")
AS_USER = typer.Option("", "--as", help="The officer acting (login); required.")


def _day(text: str, option: str):
    from ansinh.text.dates import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        fail(f"{option}: {text!r} is not YYYY-MM-DD")


def _person(pk: int, user):
    from ansinh.registry.selectors import person_for

    person = person_for(user, pk)
    if person is None:
        fail(f"person {pk}: not found in your scope")
    return person


def transfer_out(t) -> dict:
    return {"transfer": t.pk, "person": t.person_id, "moved_on": t.moved_on.isoformat(),
            "from": t.from_commune.code, "to": t.to_commune.code, "status": t.status,
            "old_pays_through": t.last_old_month, "new_pays_from": t.first_new_month,
            "stop_decision": t.stop_number, "stop_date": t.stop_date.isoformat(),
            "stop_decider": t.stop_decider.name if t.stop_decider else None,
            "start_decision": t.start_number or None,
            "start_date": t.start_date.isoformat() if t.start_date else None,
            "start_decider": t.start_decider.name if t.start_decider else None}


def _human(d: dict) -> None:
    typer.echo(f"Lần chuyển #{d['transfer']}: đối tượng #{d['person']} {d['from']} → {d['to']} "
               f"ngày {d['moved_on']}; nơi cũ chi đến {d['old_pays_through']}, nơi mới chi từ {d['new_pays_from']} "
               f"({d['status']})")


@app.command("stop")
def stop_cmd(
    person: int = typer.Argument(..., help="The person's id (as on the person page)."),
    to: str = typer.Option(..., "--to", help="Code of the current commune moved to."),
    moved_on: str = typer.Option(..., "--moved-on", help="YYYY-MM-DD: the day of the move."),
    number: str = typer.Option(..., "--decision", help="Number of the old commune's stop decision."),
    decided_on: str = typer.Option(..., "--decision-date", help="YYYY-MM-DD of the stop decision."),
    as_user: str = AS_USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The old commune records the move and its stop decision (it pays through the month of the move)."""
    from ansinh.core.jobs import BadInput
    from ansinh.core.services import current_unit
    from ansinh.registry.transfers import record_stop

    user = acting_user(as_user)
    p = _person(person, user)
    try:
        unit = current_unit(to)
    except ValueError:
        fail(f"--to: no current commune {to!r}")
    try:
        t = record_stop(p, to_commune=unit, moved_on=_day(moved_on, "--moved-on"), number=number,
                        decided_on=_day(decided_on, "--decision-date"), user=user, source="cli")
    except BadInput as exc:
        fail(str(exc))
    emit(transfer_out(t), json_out, _human)


@app.command("accept")
def accept_cmd(
    transfer: int = typer.Argument(..., help="The transfer's id (`ansinh registry transfer list`)."),
    number: str = typer.Option(..., "--decision", help="Number of the new commune's start decision."),
    decided_on: str = typer.Option(..., "--decision-date", help="YYYY-MM-DD of the start decision."),
    village: str = typer.Option("", "--village", help="The village in the new commune."),
    as_user: str = AS_USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The new commune records its start decision (it pays from the month after the stop)."""
    from ansinh.core.jobs import BadInput
    from ansinh.registry.transfers import accept, transfer_for

    user = acting_user(as_user)
    t = transfer_for(user, transfer)
    if t is None:
        fail(f"transfer {transfer}: not found in your scope")
    try:
        t = accept(t, number=number, decided_on=_day(decided_on, "--decision-date"), village=village, user=user,
                   source="cli")
    except BadInput as exc:
        fail(str(exc))
    emit(transfer_out(t), json_out, _human)


@app.command("list")
def list_cmd(as_user: str = typer.Option("", "--as", help="Read as this user (default: everything)."),
             json_out: bool = typer.Option(False, "--json")) -> None:
    """Transfers in and out of your communes, newest first."""
    from ansinh.core.roles import OPERATOR
    from ansinh.registry.transfers import transfers

    user = acting_user(as_user, default=OPERATOR)
    rows = [transfer_out(t) for t in transfers(user)]
    emit(rows, json_out, lambda rs: [_human(r) for r in rs] or typer.echo("Chưa có."))


def death_cmd(
    person: int = typer.Argument(..., help="The person's id."),
    died_on: str = typer.Option(..., "--on", help="YYYY-MM-DD: the day of death."),
    as_user: str = AS_USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Record a death: the month of death is paid, the next is not; the next run makes the funeral support."""
    from ansinh.core.jobs import BadInput
    from ansinh.registry.deaths import record_death_by_officer

    user = acting_user(as_user)
    p = _person(person, user)
    try:
        record_death_by_officer(p, _day(died_on, "--on"), user, source="cli")
    except BadInput as exc:
        fail(str(exc))
    p.refresh_from_db()
    emit({"person": p.pk, "status": p.status, "deceased_on": p.deceased_on.isoformat(),
          "last_month_paid": f"{p.deceased_on:%Y-%m}"}, json_out,
         lambda d: typer.echo(f"Đối tượng #{d['person']} đã mất ngày {d['deceased_on']}: "
                              f"chi trả đến hết tháng {d['last_month_paid']}"))


def authorisations_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Open review items for authorisations expired (payment to that account stopped) or due for a check; repeatable."""
    from ansinh.registry.authorised import flag_authorisations

    out = flag_authorisations()
    emit(out, json_out, lambda d: typer.echo(f"Hết hạn ủy quyền: {d['AUTH_EXPIRED']}; "
                                             f"đến hạn kiểm tra lại: {d['AUTH_RECHECK']}"))
