"""`ansinh outreach directive list|render`, `ansinh outreach bulletin`.

The CLI reads as the operator (everything); bad input exits 2 with one line."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer

from ansinh.cli import emit, fail
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True, help="Outreach: directives of the campaign, the commune radio bulletin.")
directive_app = typer.Typer(no_args_is_help=True, help="Directives (official letters) of the outreach campaign.")
app.add_typer(directive_app, name="directive")


@directive_app.command("list")
def directive_list(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List directives: id, number and symbol, date, subject, status."""
    from ansinh.outreach.models import Directive

    rows = [{"id": d.pk, "number_symbol": d.number_symbol, "date": d.date.isoformat() if d.date else None,
             "subject": f"V/v {d.subject}", "status": d.status, "organisation": d.organisation.name}
            for d in Directive.objects.select_related("organisation").order_by("-date", "-number", "-pk")]

    def human(data):
        if not data:
            print("no directives")
        for r in data:
            print(f"{r['id']:>5}  {r['number_symbol']:<24} {r['date'] or '':<10}  {r['status']:<9}  {r['subject']}")

    emit(rows, json_out, human)


@directive_app.command("render")
def directive_render(directive_id: int = typer.Argument(..., metavar="ID"),
                     fmt: str = typer.Option("docx", "--format", help="docx or pdf"),
                     out: Path = typer.Option(..., "--out", help="Output file.")) -> None:
    """Render a directive as .docx (Decree 30/2020 layout) or .pdf (needs LibreOffice)."""
    from ansinh.outreach.models import Directive
    from ansinh.outreach.rendering import PdfUnavailable, render_directive

    if fmt not in ("docx", "pdf"):
        fail(f"--format: {fmt!r} is not docx or pdf")
    d = Directive.objects.select_related("organisation").filter(pk=directive_id).first()
    if d is None:
        fail(f"no directive with id {directive_id}")
    try:
        data = render_directive(d, fmt)
    except PdfUnavailable as exc:
        fail(str(exc))
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"{out}: {exc.strerror or exc}")
    sys.stdout.write(f"{out} ({len(data)} bytes)\n")


@app.command("bulletin")
def bulletin(commune: str = typer.Option(..., "--commune", help="Commune code, e.g. 05977."),
             as_of: str = typer.Option("", "--as-of", help="YYYY-MM-DD (default today)."),
             audio: Path | None = typer.Option(None, "--audio", help="Also write a WAV read by espeak-ng."),
             json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The commune radio bulletin (Vietnamese text from live registry figures)."""
    from ansinh.outreach import selectors

    try:
        day = parse_iso(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date YYYY-MM-DD")
    unit = selectors.find_commune(commune.strip(), day)
    if unit is None:
        fail(f"--commune: no commune with code {commune!r}")
    data = selectors.bulletin(unit, day)
    if audio is not None:
        from ansinh.outreach.rendering import AudioUnavailable, bulletin_wav

        try:
            audio.write_bytes(bulletin_wav(data["text"]))
        except AudioUnavailable as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{audio}: {exc.strerror or exc}")
        data["audio"] = str(audio)
    emit(data, json_out, lambda d: print(d["text"]))
