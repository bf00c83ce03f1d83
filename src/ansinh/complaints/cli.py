"""`ansinh complaint list|create|accept|decide|remote` (`add`: a hidden name of `create`, the issue's word).

Reads as the operator (everything); every write needs `--as USER` and goes through the same
service checks as the web (role, scope). Bad input exits 2 with one line. Dates in and out ISO."""
from __future__ import annotations

import datetime as dt

import typer

from ansinh.cli import acting_user, emit, fail
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True,
                  help="Complaints, denunciations and feedback (grievance redress) with their legal deadlines.")
AS_USER = typer.Option("", "--as", help="Username of the user doing this (required).")
JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _user(username: str):
    return acting_user(username)


def _day(text: str, option: str) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return parse_iso(text)
    except ValueError:
        fail(f"{option}: {text[:20]!r} is not a date YYYY-MM-DD")


def _case_out(c, today: dt.date) -> dict:
    from ansinh.complaints.selectors import due_state

    st = due_state(c, today)
    return {"id": c.pk, "code": c.code, "kind": c.kind, "level": c.level, "channel": c.channel,
            "category": c.category, "severity": c.severity, "status": c.status,
            "commune": c.scope_commune.code if c.scope_commune else None,
            "received": c.received_on.isoformat(), "due_accept": c.due_accept.isoformat(),
            "accepted": c.accepted_on.isoformat() if c.accepted_on else None,
            "due_decide": c.due_decide.isoformat(), "decided": c.decided_on.isoformat() if c.decided_on else None,
            "complex": c.complex_case, "remote": c.remote, "state": st["state"], "escalated": st["escalated"],
            "person": c.person_id, "line": c.line_id}


def _print_cases(rows: list[dict]) -> None:
    if not rows:
        print("no cases")
    for r in rows:
        print(f"{r['id']:>6} {r['code']} {r['kind']:<12} {r['category']:<11} {r['status']:<9} "
              f"received {r['received']} due {r['due_decide'] if r['status'] == 'accepted' else r['due_accept']}"
              f" {r['state']}{' ESCALATED' if r['escalated'] else ''}")


@app.command("list")
def list_cmd(overdue: bool = typer.Option(False, "--overdue", help="Only open cases past a due date."),
             status: str = typer.Option("", "--status", help="received, accepted, refused, decided or open."),
             today: str = typer.Option("", "--today", help="YYYY-MM-DD (default today): the day overdue is judged."),
             json_out: bool = JSON) -> None:
    """List cases with their due dates and state (on_track, at_risk, breached, met, late)."""
    from ansinh.complaints.models import Case
    from ansinh.complaints.selectors import overdue_q

    day = _day(today, "--today")
    qs = Case.objects.select_related("scope_commune").order_by("-received_on", "-id")
    if status:
        if status == "open":
            qs = qs.filter(status__in=("received", "accepted"))
        elif status in ("received", "accepted", "refused", "decided"):
            qs = qs.filter(status=status)
        else:
            fail(f"--status: {status[:20]!r} is not received, accepted, refused, decided or open")
    if overdue:
        qs = qs.filter(overdue_q(day))
    emit([_case_out(c, day) for c in qs[:5000]], json_out, _print_cases)


def _resolve(model, pk: int | None, what: str):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if obj is None:
        fail(f"--{what}: no {what} with id {pk}")
    return obj


@app.command("create")
def create_cmd(kind: str = typer.Option("complaint", "--kind", help="complaint, denunciation or feedback."),
               channel: str = typer.Option(..., "--channel", help="in_person, phone, letter, meeting, online, radio."),
               category: str = typer.Option(..., "--category",
                                            help="payment, amount, account, eligibility, data, officer, other."),
               text: str = typer.Option(..., "--text", help="What the sender says."),
               received: str = typer.Option("", "--received", help="YYYY-MM-DD (default today)."),
               person: int | None = typer.Option(None, "--person", help="Registry person id (the subject)."),
               line: int | None = typer.Option(None, "--line", help="Payroll line id (the subject)."),
               commune: str = typer.Option("", "--commune", help="Commune code when there is no subject."),
               name: str = typer.Option("", "--name", help="The complainant's name."),
               anonymous: bool = typer.Option(False, "--anonymous", help="No name (feedback only)."),
               complex_case: bool = typer.Option(False, "--complex", help="A complex case (longer deadline)."),
               level: int = typer.Option(1, "--level", help="2 for a second-level complaint."),
               as_user: str = AS_USER, json_out: bool = JSON) -> None:
    """Receive a case; prints it with due_accept and due_decide (ISO dates)."""
    from ansinh.complaints import services
    from ansinh.payroll.models import PayrollLine
    from ansinh.registry.models import Person

    user = _user(as_user)
    day = _day(received, "--received")
    unit = None
    if commune:
        from ansinh.units.models import AdminUnit

        unit = AdminUnit.objects.filter(code=commune.strip(), valid_to__isnull=True).first()
        if unit is None:
            fail(f"--commune: no commune with code {commune[:10]!r}")
    c = services.create_case(user, kind=kind, channel=channel, category=category, text=text, received=day,
                             person=_resolve(Person, person, "person"), line=_resolve(PayrollLine, line, "line"),
                             commune=unit, complainant_kind="anonymous" if anonymous else "other",
                             complainant_name=name, complex_case=complex_case, level=level)
    emit(_case_out(c, dt.date.today()), json_out, lambda r: _print_cases([r]))


app.command("add", hidden=True)(create_cmd)  # the name (`ansinh grievance add`)


def _case(case_id: int):
    from ansinh.complaints.models import Case

    return _resolve(Case, case_id, "case")


@app.command("accept")
def accept_cmd(case_id: int = typer.Argument(..., metavar="ID"),
               day: str = typer.Option("", "--day", help="YYYY-MM-DD (default today)."),
               complex_case: bool = typer.Option(False, "--complex", help="A complex case."),
               as_user: str = AS_USER, json_out: bool = JSON) -> None:
    """Accept (thụ lý) a case: the decision is due from this day."""
    from ansinh.complaints import services

    c = services.accept(_case(case_id), _user(as_user), _day(day, "--day"), complex_case=complex_case or None)
    emit(_case_out(c, dt.date.today()), json_out, lambda r: _print_cases([r]))


@app.command("decide")
def decide_cmd(case_id: int = typer.Argument(..., metavar="ID"),
               outcome: str = typer.Option(..., "--outcome", help="upheld, partly or rejected."),
               decision: str = typer.Option(..., "--decision", help="The decision's text."),
               day: str = typer.Option("", "--day", help="YYYY-MM-DD (default today)."),
               number: int | None = typer.Option(None, "--number", help="The decision's number in the register."),
               signer: str = typer.Option("", "--signer", help="Who signed the decision."),
               as_user: str = AS_USER, json_out: bool = JSON) -> None:
    """Record the decision on an accepted case (and its document's number and signer)."""
    from ansinh.complaints import services

    c = services.decide(_case(case_id), _user(as_user), _day(day, "--day"), outcome=outcome, decision=decision,
                        number=number, signer_name=signer)
    emit(_case_out(c, dt.date.today()), json_out, lambda r: _print_cases([r]))


@app.command("appeal")
def appeal_cmd(case_id: int = typer.Argument(..., metavar="ID"),
               text: str = typer.Option(..., "--text", help="Why the complainant disagrees."),
               received: str = typer.Option("", "--received", help="YYYY-MM-DD (default today)."),
               late_reason: str = typer.Option("", "--late-reason", help="The obstacle, when filed late (Art. 9)."),
               as_user: str = AS_USER, json_out: bool = JSON) -> None:
    """Receive a second-level complaint about a first-level complaint (the province)."""
    from ansinh.complaints import services

    c = services.appeal(_case(case_id), _user(as_user), _day(received, "--received"), text=text,
                        late_reason=late_reason)
    emit(_case_out(c, dt.date.today()), json_out, lambda r: _print_cases([r]))


@app.command("escalate")
def escalate_cmd(today: str = typer.Option("", "--today", help="YYYY-MM-DD (default today)."),
                 json_out: bool = JSON) -> None:
    """Record an escalation event on every case whose commune missed a deadline (the worker does it daily)."""
    from ansinh.complaints import services

    n = services.escalate_overdue(_day(today, "--today"))
    emit({"escalated": n}, json_out, lambda r: print(f"{r['escalated']} cases escalated"))


@app.command("remote")
def remote_cmd(commune: str = typer.Argument(..., metavar="CODE"),
               valid_from: str = typer.Option(..., "--from", help="YYYY-MM-DD."),
               valid_to: str = typer.Option("", "--to", help="YYYY-MM-DD (open-ended when left out)."),
               basis: str = typer.Option(..., "--basis", help="The decision listing the commune."),
               json_out: bool = JSON) -> None:
    """Flag a commune as a remote, extremely difficult area from a date (longer complaint deadlines)."""
    from ansinh.complaints.models import RemoteArea
    from ansinh.units.models import AdminUnit

    unit = AdminUnit.objects.filter(code=commune.strip(), valid_to__isnull=True).first()
    if unit is None:
        fail(f"no commune with code {commune[:10]!r}")
    if not basis.strip():
        fail("--basis: required (the decision that lists the commune)")
    start = _day(valid_from, "--from")
    end = _day(valid_to, "--to") if valid_to else None
    r = RemoteArea.objects.create(unit=unit, valid_from=start, valid_to=end, basis=basis.strip()[:300])
    emit({"id": r.pk, "commune": unit.code, "valid_from": start.isoformat(),
          "valid_to": end.isoformat() if end else None, "basis": r.basis}, json_out)
