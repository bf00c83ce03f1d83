"""`ansinh payroll generate|approve|export|reconcile|rates`."""
from __future__ import annotations

from pathlib import Path

import typer

from ansinh.cli import emit, fail

payroll_app = typer.Typer(no_args_is_help=True, help="Monthly payroll: generate, approve, export, reconcile.")


def _run(run_id: int):
    from ansinh.payroll.models import PayrollRun

    run = PayrollRun.objects.filter(pk=run_id).first()
    if run is None:
        fail(f"no payroll run {run_id}")
    return run


def _user(username: str):
    from django.contrib.auth import get_user_model

    if not username:
        return None
    u = get_user_model().objects.filter(username=username).first()
    if u is None:
        fail(f"no user {username!r}")
    return u


def _out(run) -> dict:
    s = run.summary
    return {"run": run.pk, "period": run.period, "status": run.status, "lines": s.get("lines", 0),
            "persons": s.get("persons", 0), "total_vnd": s.get("total_vnd", 0),
            "by_channel": s.get("by_channel", {}), "by_category": s.get("by_category", {})}


def _print_run(d: dict) -> None:
    print(f"Bảng chi #{d['run']} tháng {d['period']}: {d['lines']} dòng, {d['total_vnd']:,} đồng ({d['status']})")
    for k, v in d["by_channel"].items():
        print(f"  {k:<8} {v['lines']:>8} dòng {v['total_vnd']:>16,} đ")


@payroll_app.command("generate")
def generate_cmd(
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    commune: str = typer.Option("", "--commune", help="Current commune code (default: the whole province)."),
    province: str = typer.Option("20", "--province", help="Province code when no commune is given."),
    as_user: str = typer.Option("", "--as", help="Username of the maker."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Generate a draft payroll run (set-based; arrears included)."""
    from ansinh.core.services import current_unit
    from ansinh.payroll import services

    unit = None
    if commune:
        try:
            unit = current_unit(commune)
        except ValueError as exc:
            fail(str(exc))
    run = services.generate(period, commune=unit, province_code=province, user=_user(as_user))
    emit(_out(run), json_out, _print_run)


@payroll_app.command("regenerate")
def regenerate_cmd(run_id: int = typer.Argument(...), json_out: bool = typer.Option(False, "--json")) -> None:
    """Recompute a draft run."""
    from ansinh.payroll import services

    emit(_out(services.regenerate(_run(run_id))), json_out, _print_run)


@payroll_app.command("approve")
def approve_cmd(run_id: int = typer.Argument(...), as_user: str = typer.Option(..., "--as", help="Approver"),
                json_out: bool = typer.Option(False, "--json")) -> None:
    """Approve a run (the approver must differ from the maker)."""
    from ansinh.payroll import services

    run = services.approve(_run(run_id), _user(as_user))
    emit({"run": run.pk, "status": run.status, "approved_by": as_user}, json_out,
         lambda d: print(f"Bảng chi #{d['run']}: đã phê duyệt bởi {d['approved_by']}"))


@payroll_app.command("export")
def export_cmd(run_id: int = typer.Argument(...), out: Path = typer.Option(..., "--out", help="Folder"),
               pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="PDF of the cash list for signatures."),
               json_out: bool = typer.Option(False, "--json")) -> None:
    """Write the provider files (.csv/.xlsx per provider, cash list, G2P Connect JSON)."""
    from ansinh.payroll import services

    paths = services.export(_run(run_id), out, pdf=pdf)
    emit({"run": run_id, "files": [str(p) for p in paths]}, json_out,
         lambda d: print("\n".join(d["files"])))


@payroll_app.command("reconcile")
def reconcile_cmd(run_id: int = typer.Argument(...), result_file: Path = typer.Argument(...),
                  json_out: bool = typer.Option(False, "--json")) -> None:
    """Import a provider result file (line_id;status;reason;paid_date[;amount])."""
    from ansinh.payroll import services

    if not result_file.exists():
        fail(f"{result_file}: file not found")
    rep = services.reconcile(_run(run_id), result_file)
    emit(rep, json_out, lambda r: print(
        f"Đã chi {r['paid']['lines']} dòng {r['paid']['total_vnd']:,} đ; chưa chi {r['unpaid']['lines']} dòng "
        f"{r['unpaid']['total_vnd']:,} đ; chờ {r['pending']['lines']}; khớp: {r['balanced']}"))


@payroll_app.command("demo-result")
def demo_result_cmd(run_id: int = typer.Argument(...), out: Path = typer.Option(..., "--out")) -> None:
    """Write a plausible provider result file for a run (demo)."""
    from ansinh.payroll.files import write_demo_result

    write_demo_result(_run(run_id), out)
    print(out)


def register(app: typer.Typer) -> None:
    app.add_typer(payroll_app, name="payroll")
