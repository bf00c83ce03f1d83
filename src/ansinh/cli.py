"""The one `ansinh` command. Each domain app contributes a Typer sub-app or commands.

Bad input exits with code 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator

import click
import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="ansinh: social-assistance payments into accounts.")

# (module, sub-command name or None to add its commands at top level)
COMMAND_MODULES = [
    ("ansinh.core.cli", None),
    ("ansinh.units.cli", "units"),
    ("ansinh.registry.cli", None),
    ("ansinh.matching.cli", None),
    ("ansinh.accounts.cli", None),
    ("ansinh.payroll.cli", None),
    ("ansinh.outreach.cli", None),
]


class CliError(Exception):
    """A one-line error for the operator; exit code 2."""


def fail(message: str) -> None:
    raise CliError(message)


def emit(data, as_json: bool, human=None) -> None:
    """Print `data` as JSON (machine output) or with `human(data)` for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=None) + "\n")
    elif human is not None:
        human(data)
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=2) + "\n")


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator:
    """A rich progress bar on stderr; yields a listener(done, total, message) for ansinh.core.jobs.Progress."""
    if not enabled or not sys.stderr.isatty() and os.environ.get("ANSINH_PROGRESS") != "1":
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False, console=_stderr_console()) as bar:
        tid = bar.add_task(label, total=None)

        def listener(done: int, total: int, message: str) -> None:
            bar.update(tid, completed=done, total=total or None, description=message or label)

        yield listener


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _load_commands() -> None:
    for module_name, name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        sub = getattr(module, "app", None)
        if name and sub is not None:
            app.add_typer(sub, name=name)
        elif hasattr(module, "register"):
            module.register(app)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:  # e.g. no or a weak SECRET_KEY: one line, no traceback
        sys.stderr.write(f"ansinh: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
        return 2
    from django.db import DatabaseError

    from ansinh.core.jobs import BadInput

    _load_commands()
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="ansinh")
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        sys.stderr.write("ansinh: aborted\n")
        return 1
    except click.exceptions.UsageError as exc:
        sys.stderr.write(f"ansinh: {exc.format_message().splitlines()[0]}\n")
        return 2
    except click.exceptions.ClickException as exc:
        sys.stderr.write(f"ansinh: {exc.format_message().splitlines()[0]}\n")
        return 2
    except (CliError, BadInput) as exc:
        sys.stderr.write(f"ansinh: {exc}\n")
        return 2
    except DatabaseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"ansinh: database error: {first} (has `ansinh init` been run?)\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return rv if isinstance(rv, int) else 0


def run() -> None:  # console-script entry point
    sys.exit(main())


if __name__ == "__main__":
    run()
