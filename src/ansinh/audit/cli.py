"""`ansinh audit verify|checkpoint|grants`: the audit log's chain check, its daily checkpoint and the
PostgreSQL grants that keep it append-only."""
from __future__ import annotations

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")


@app.command("verify")
def verify(expect: str = typer.Option("", "--expect", help="SEQ:HASH of a checkpoint kept elsewhere: "
                                      "also check that entry still has that hash."),
           json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Check the chain: exit 0 when intact, 1 naming the first entry changed or removed."""
    from ansinh.audit.selectors import verify as check

    expected = None
    if expect:
        seq, _, digest = expect.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            fail("--expect: SEQ:HASH (the entry number and its 64-character hash)")
        expected = (int(seq), digest.lower())
    r = check(expected)
    emit(r, json_out, lambda d: print(f"ansinh audit: intact, {d['entries']} entries" if d["ok"]
                                      else f"ansinh audit: BROKEN at {d['reason']}"))
    raise typer.Exit(0 if r["ok"] else 1)


@app.command("checkpoint")
def checkpoint(day: str = typer.Option("", "--day", help="YYYY-MM-DD (default: today)."),
               json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The day's checkpoint hash (print it, send it elsewhere); also written to the log."""
    from ansinh.audit.services import checkpoint as make
    from ansinh.core.roles import OPERATOR
    from ansinh.text.dates import parse_iso

    try:
        d = parse_iso(day) if day else None
    except ValueError:
        fail(f"--day: not a date YYYY-MM-DD: {day}")
    r = make(user=OPERATOR, day=d)
    emit(r, json_out, lambda x: print(x["line"]))


@app.command("grants")
def grants(role: str = typer.Argument(..., help="The application's PostgreSQL role.")) -> None:
    """Print the SQL (run it as the tables' owner) that leaves ROLE without UPDATE/DELETE on the log."""
    from ansinh.audit.grants import grant_sql

    try:
        for stmt in grant_sql(role):
            print(stmt + ";")
    except ValueError as exc:
        fail(str(exc))
