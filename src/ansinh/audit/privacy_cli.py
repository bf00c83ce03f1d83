"""`ansinh privacy retention`: the retention rule (ansinh.audit.retention) from the server."""
from __future__ import annotations

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="Personal data: the retention rule.")


@app.command("retention")
def retention(years: int = typer.Option(0, "--years", help="Full years after the allowance ended "
                                        "(default: ANSINH_RETENTION_YEARS)."),
              dry_run: bool = typer.Option(False, "--dry-run", help="Only count the people it would anonymise."),
              as_user: str = typer.Option("", "--as", help="The user recorded (default: the operator)."),
              json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Anonymise the people whose allowance ended more than the retention period ago; keeps amounts."""
    from ansinh.audit import retention as rule
    from ansinh.cli import acting_user
    from ansinh.core.roles import OPERATOR

    if years < 0 or years > 100:
        fail("--years: a number of years from 1 to 100")
    user = acting_user(as_user, OPERATOR)
    try:
        r = rule.run(user=user, years=years or None, dry_run=dry_run)
    except ValueError as exc:
        fail(str(exc))
    emit(r, json_out, lambda d: print(
        f"retention {d['years']} years (allowance ended before {d['cutoff_month']}): {d['eligible']} people"
        + (" would be anonymised (dry run)" if d["dry_run"] else f", {d['anonymised']} anonymised")))
