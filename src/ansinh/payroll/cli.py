"""`ansinh payroll generate|regenerate|check|approve|cancel|export|reconcile|suspend|correct|approve-correction|integrity|...`,
and `ansinh demo result` (a made-up provider result file).

Every write needs `--as USER` and goes through the same service checks as the web (role,
scope, maker != checker); bad input exits 2 with one line."""
from __future__ import annotations

from pathlib import Path

import typer

from ansinh.cli import acting_user, emit, fail
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True, help="Monthly payroll: generate, approve, export, reconcile.")
demo = typer.Typer()  # joins `ansinh demo`


def _run(run_id: int):
    from ansinh.payroll.models import PayrollRun

    run = PayrollRun.objects.filter(pk=run_id).first() if 0 < run_id < 2**63 else None
    if run is None:
        fail(f"no payroll run {run_id}")
    return run


def _user(username: str):
    """The maker/checker/approver a command acts as (--as): the same rules as the web."""
    return acting_user(username)


def _out(run) -> dict:
    s = run.summary
    return {"run": run.pk, "period": run.period, "status": run.status, "lines": s.get("lines", 0),
            "persons": s.get("persons", 0), "total_vnd": s.get("total_vnd", 0),
            "by_channel": s.get("by_channel", {}), "by_category": s.get("by_category", {})}


def _print_run(d: dict) -> None:
    print(f"Bảng chi #{d['run']} tháng {d['period']}: {d['lines']} dòng, {d['total_vnd']:,} đồng ({d['status']})")
    for k, v in d["by_channel"].items():
        print(f"  {k:<8} {v['lines']:>8} dòng {v['total_vnd']:>16,} đ")


AS_USER = typer.Option("", "--as", help="Username of the user doing this (required).")


@app.command("generate")
def generate_cmd(
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    commune: str = typer.Option("", "--commune", help="Current commune code (default: the whole province)."),
    province: str = typer.Option("", "--province", help="Province code when no commune is given (default: the "
                                                       "installation's, when it serves one: ansinh init --province)."),
    as_user: str = AS_USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Generate a draft payroll run (set-based; arrears included) as the maker --as."""
    from ansinh.core.services import current_unit
    from ansinh.payroll import generate

    user = _user(as_user)
    unit = None
    if commune:
        try:
            unit = current_unit(commune)
        except ValueError as exc:
            fail(str(exc))
    from ansinh.core.selectors import province_for

    run = generate.generate(period, commune=unit, province_code="" if unit else province_for(None, province), user=user)
    emit(_out(run), json_out, _print_run)


@app.command("regenerate")
def regenerate_cmd(run_id: int = typer.Argument(...), as_user: str = AS_USER,
                   json_out: bool = typer.Option(False, "--json")) -> None:
    """Recompute a draft run (the user --as becomes its maker)."""
    from ansinh.payroll import generate

    user = _user(as_user)
    emit(_out(generate.regenerate(_run(run_id), user)), json_out, _print_run)


@app.command("check")
def check_cmd(run_id: int = typer.Argument(...), as_user: str = AS_USER,
              json_out: bool = typer.Option(False, "--json")) -> None:
    """Mark a draft checked (the checker must differ from the maker)."""
    from ansinh.payroll import approval

    _sign_run(approval.check, run_id, as_user, json_out, "checked_by", "đã kiểm tra")


@app.command("approve")
def approve_cmd(run_id: int = typer.Argument(...), as_user: str = AS_USER,
                json_out: bool = typer.Option(False, "--json")) -> None:
    """Approve a run (an approver, never the maker)."""
    from ansinh.payroll import approval

    _sign_run(approval.approve, run_id, as_user, json_out, "approved_by", "đã phê duyệt")


def _sign_run(service, run_id: int, as_user: str, json_out: bool, key: str, done: str) -> None:
    """A run's check or approval by --as: the service decides (role, scope, maker-checker)."""
    user = _user(as_user)
    run = service(_run(run_id), user)
    emit({"run": run.pk, "status": run.status, key: as_user}, json_out,
         lambda d: print(f"Bảng chi #{d['run']}: {done} bởi {d[key]}"))


@app.command("cancel")
def cancel_cmd(run_id: int = typer.Argument(...), as_user: str = AS_USER,
               json_out: bool = typer.Option(False, "--json")) -> None:
    """Cancel a draft run (its lines are deleted; their months are free again)."""
    from ansinh.payroll import generate

    user = _user(as_user)
    run = _run(run_id)
    generate.cancel(run, user)
    emit({"run": run.pk, "status": "cancelled"}, json_out, lambda d: print(f"Bảng chi #{d['run']}: đã hủy"))


@app.command("export")
def export_cmd(run_id: int = typer.Argument(...), out: Path = typer.Option(..., "--out", help="Folder"),
               pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="PDF of the cash list for signatures."),
               as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Export an approved run and write its provider files (.csv/.xlsx per provider, cash list, G2P JSON)."""
    from ansinh.audit import reads as audit_reads
    from ansinh.core.roles import OPERATOR
    from ansinh.payroll import approval

    user = _user(as_user)
    run = _run(run_id)
    paths = approval.export(run, out, user=user, pdf=pdf)
    for p in paths:  # each file written, with its sha256 and the people it pays
        audit_reads.file_downloaded(user or OPERATOR, Path(p).name, Path(p), persons=run.lines.all())
    emit({"run": run_id, "files": [str(p) for p in paths]}, json_out,
         lambda d: print("\n".join(d["files"])))


@app.command("reconcile")
def reconcile_cmd(run_id: int = typer.Argument(...), result_file: Path = typer.Argument(...),
                  as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Import a provider result file (line_id;status;reason;paid_date[;amount]); not by the run's maker.
    A line's result is final once recorded: use `payroll correct` to change it."""
    from ansinh.payroll import reconcile

    user = _user(as_user)
    if not result_file.is_file():
        fail(f"{result_file.name}: file not found")
    rep = reconcile.reconcile(_run(run_id), result_file, user=user)
    emit(rep, json_out, lambda r: print(
        f"Đã chi {r['paid']['lines']} dòng {r['paid']['total_vnd']:,} đ; chưa chi {r['unpaid']['lines']} dòng "
        f"{r['unpaid']['total_vnd']:,} đ; chờ {r['pending']['lines']}; khớp: {r['balanced']}"))


@app.command("followup")
def followup_cmd(run_id: int = typer.Argument(...),
                 rule: str = typer.Option("auto", "--rule", help="auto (by rule: an account refused is held until "
                                                                 "fixed, not collected is retried once then paid "
                                                                 "in cash), retry or cash for every line"),
                 line: list[str] = typer.Option([], "--line", help="LINE_ID=retry|cash|hold: the choice for one "
                                                                   "line (repeat)"),
                 as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """A follow-up run paying again only the run's unpaid lines (never one already paid or carried over)."""
    from ansinh.payroll import followup

    choices = {}
    for item in line:
        k, sep, v = item.partition("=")
        if not sep:
            fail(f"--line {item[:30]!r}: write LINE_ID=retry|cash|hold")
        choices[k.strip()] = v.strip()
    user = _user(as_user)
    run = followup.generate_followup(_run(run_id), user=user, rule=rule, choices=choices)
    emit({**_out(run), "followup_of": run_id, "held": len(run.summary.get("held", []))}, json_out, _print_run)


@app.command("integrity")
def integrity_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Lines naming a run, person, account, commune or campaign that no longer exists (none expected:
    decision 0032). Exit 1 when any is found."""
    from ansinh.formats import vn_number
    from ansinh.payroll.integrity import orphan_lines

    found = orphan_lines()

    words = {"run": "bảng chi", "person": "đối tượng", "account": "tài khoản", "scope_commune": "xã/phường",
             "campaign": "đợt chi"}

    def human(d: dict) -> None:
        if not any(d.values()):
            print("Mọi dòng chi đều trỏ tới bản ghi còn tồn tại.")
        for name, n in d.items():
            if n:
                print(f"  {vn_number(n)} dòng trỏ tới {words.get(name, name)} không còn ({name})")

    emit({"orphan_lines": found, "ok": not any(found.values())}, json_out, lambda d: human(d["orphan_lines"]))
    if any(found.values()):
        raise typer.Exit(1)


@app.command("statement")
def statement_cmd(statement_file: Path = typer.Argument(..., help="MT940 statement of the programme account."),
                  as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Read the programme account's bank statement (MT940): debits naming a line (L<line id>) confirm it
    paid, returned transfers reverse it (unpaid again). All or nothing; not by the runs' maker."""
    from ansinh.payroll import statements

    user = _user(as_user)
    if not statement_file.is_file():
        fail(f"{statement_file.name}: file not found")
    rep = statements.import_statement(statement_file, user=user)
    emit(rep, json_out, lambda r: print(
        f"Sao kê {r['statement']}: {r['entries']} bút toán; xác nhận đã chi {r['confirmed']}, không chi được "
        f"{r['failed']}, bị hoàn trả {r['reversed']}, khác {r['other']}"))


@app.command("suspend")
def suspend_cmd(period: str = typer.Option(..., "--period", help="YYYY-MM: a month whose runs are reconciled."),
                as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Suspend the persons who did not collect the last 3 months (after the month's reconciled runs in
    the scope of --as: an approver or province officer, not the runs' maker)."""
    from ansinh.payroll import suspension

    user = _user(as_user)
    n = suspension.suspend_uncollected(period, user=user)
    emit({"period": period, "suspended_enrolments": n}, json_out,
         lambda d: print(f"Tháng {d['period']}: đã tạm dừng {d['suspended_enrolments']} lượt hưởng"))


@app.command("correct")
def correct_cmd(line_id: int = typer.Argument(..., help="Payroll line id"),
                result: str = typer.Option(..., "--result", help="paid | unpaid"),
                reason: str = typer.Option(..., "--reason", help="Why the recorded result is wrong."),
                paid_date: str = typer.Option("", "--paid-date", help="YYYY-MM-DD (for --result paid)"),
                code: str = typer.Option("", "--code", help="The provider's reason code (for --result unpaid)."),
                as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Request a correction of a confirmed line result (applied when another user approves it)."""
    from ansinh.payroll import corrections
    from ansinh.payroll.models import PayrollLine

    user = _user(as_user)
    line = PayrollLine.objects.filter(pk=line_id).select_related("run").first() if 0 < line_id < 2**63 else None
    if line is None:
        fail(f"no payroll line {line_id}")
    paid_on = None
    if paid_date:
        try:
            paid_on = parse_iso(paid_date)
        except ValueError:
            fail(f"--paid-date: {paid_date!r} is not YYYY-MM-DD")
    c = corrections.request_correction(line, new_result=result, reason=reason, new_reason=code, paid_on=paid_on,
                                       user=user)
    emit({"correction": c.pk, "line": line.pk, "old": c.old_result, "new": c.new_result, "status": c.status},
         json_out, lambda d: print(f"Đề nghị điều chỉnh #{d['correction']}: dòng {d['line']} {d['old']} → {d['new']} "
                                   f"(chờ phê duyệt)"))


def _correction(correction_id: int):
    from ansinh.payroll.models import ResultCorrection

    c = (ResultCorrection.objects.filter(pk=correction_id).select_related("line__run").first()
         if 0 < correction_id < 2**63 else None)
    if c is None:
        fail(f"no correction {correction_id}")
    return c


@app.command("approve-correction")
def approve_correction_cmd(correction_id: int = typer.Argument(...), as_user: str = AS_USER,
                           json_out: bool = typer.Option(False, "--json")) -> None:
    """Approve a requested correction (an approver, not its requester)."""
    from ansinh.payroll import corrections

    c = _decide_correction(corrections.approve_correction, correction_id, as_user)
    emit({"correction": c.pk, "status": c.status, "line": c.line_id, "result": c.new_result}, json_out,
         lambda d: print(f"Điều chỉnh #{d['correction']}: đã phê duyệt; dòng {d['line']} là {d['result']}"))


@app.command("reject-correction")
def reject_correction_cmd(correction_id: int = typer.Argument(...), as_user: str = AS_USER,
                          json_out: bool = typer.Option(False, "--json")) -> None:
    """Reject a requested correction."""
    from ansinh.payroll import corrections

    c = _decide_correction(corrections.reject_correction, correction_id, as_user)
    emit({"correction": c.pk, "status": c.status}, json_out,
         lambda d: print(f"Điều chỉnh #{d['correction']}: đã từ chối"))


def _decide_correction(service, correction_id: int, as_user: str):
    user = _user(as_user)
    return service(_correction(correction_id), user)


@demo.command("result")
def demo_result_cmd(run_id: int = typer.Argument(..., help="Payroll run id."),
                    out: Path = typer.Option(..., "--out", help="Result file to write (.csv).")) -> None:
    """Write a plausible provider result file for a run (demo installations only: ANSINH_DEMO=1)."""
    from ansinh.payroll.files import write_demo_result

    run = _run(run_id)
    if not out.parent.is_dir():
        fail(f"folder {out.parent} does not exist")
    write_demo_result(run, out)
    print(out)
