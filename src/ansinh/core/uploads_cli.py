"""`ansinh uploads purge`: delete uploaded lists older than the retention period (ansinh.core.uploads)."""
from __future__ import annotations

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="Uploaded files: retention.")


@app.command("purge")
def purge(days: int = typer.Option(None, "--days", help="Keep this many days (default: ANSINH_UPLOAD_RETENTION_DAYS, 90)."),
          json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Delete uploaded lists (commune, bank, population) older than the retention period."""
    from ansinh.core.uploads import purge_uploads

    try:
        r = purge_uploads(days)
    except ValueError as exc:
        fail(str(exc))
    emit(r, json_out, lambda d: print(f"ansinh uploads: {d['deleted']} file(s) older than {d['days']} days deleted"
                                      + (f", {d['kept_for_jobs']} kept for running jobs" if d["kept_for_jobs"] else "")))
