"""The one `ansinh` command, assembled here and only here.

Shape: a noun group per app (`ansinh registry import`, `ansinh accounts import`, `ansinh payroll
generate`, …), every demo command under `ansinh demo`, and the installation-level verbs (`init`,
`worker`, `serve`) at the top. Each app's cli.py exposes `app`, the Typer of its noun group, and may
expose `demo`, a Typer whose commands join `ansinh demo`; ansinh.core.cli also exposes
`installation`, the Typer of the top-level verbs. The names of the groups are given in GROUPS below
and nowhere else. Help text is English (docs/decisions/0015-cli-shape.md).

The old top-level verbs (`ansinh import`, `ansinh dedupe`, …) are kept for one release as
aliases (ALIASES): hidden from the help, each prints a one-line deprecation note on stderr and
runs exactly the new command.

Bad input exits with code 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator

import click
import typer

HELP = "ansinh: social-assistance payments into accounts."

# (noun, module): the noun groups, in the order of the help listing.
GROUPS = (
    ("registry", "ansinh.registry.cli"),
    ("matching", "ansinh.matching.cli"),
    ("accounts", "ansinh.accounts.cli"),
    ("payroll", "ansinh.payroll.cli"),
    ("campaign", "ansinh.payroll.campaign_cli"),
    ("outreach", "ansinh.outreach.cli"),
    ("client", "ansinh.interop.client_cli"),
    ("interop", "ansinh.interop.cli"),
    ("report", "ansinh.reports.cli"),
    ("complaint", "ansinh.complaints.cli"),
    ("units", "ansinh.units.cli"),
    ("users", "ansinh.core.cli"),
    ("audit", "ansinh.audit.cli"),
    ("privacy", "ansinh.audit.privacy_cli"),
    ("uploads", "ansinh.core.uploads_cli"),
    ("keys", "ansinh.core.keys_cli"),
)
# The module of the installation-level verbs (its `installation` Typer) and of the first demo commands.
CORE = "ansinh.core.cli"

# Old command → new command, for one release (README, "Old commands"). The longest old prefix wins.
ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("import",): ("registry", "import"),
    ("export",): ("registry", "export"),
    ("quality",): ("registry", "quality"),
    ("demo-data",): ("demo", "data"),
    ("dedupe",): ("matching", "dedupe"),
    ("verify",): ("matching", "verify"),
    ("coverage",): ("accounts", "coverage"),
    ("accounts", "demo"): ("demo", "accounts"),
    ("payroll", "demo-result"): ("demo", "result"),
    ("directive",): ("outreach", "directive"),
    ("bulletin",): ("outreach", "bulletin"),
}


class CliError(Exception):
    """A one-line error for the operator; exit code 2."""


def fail(message: str) -> None:
    raise CliError(message)


_REQUIRED = object()


def acting_user(username: str, default=_REQUIRED):
    """The user a command acts as (`--as LOGIN`): an active user, else a one-line refusal (exit 2).
    Without --as: `default` when the command allows one (a read as ansinh.core.roles.OPERATOR),
    else refused, since every change is recorded with the user who made it."""
    from django.contrib.auth import get_user_model

    if not username:
        if default is _REQUIRED:
            fail("--as USER is required: every change is recorded with the user who made it")
        return default
    u = get_user_model().objects.filter(username=username, is_active=True).first()
    if u is None:
        fail(f"--as: no active user {username!r}")
    return u


def emit(data, as_json: bool, human=None) -> None:
    """Print `data` as JSON (machine output) or with `human(data)` for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=None) + "\n")
    elif human is not None:
        human(data)
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=2) + "\n")


def _bars_shown(enabled: bool) -> bool:
    return enabled and (sys.stderr.isatty() or os.environ.get("ANSINH_PROGRESS") == "1")


def _bars():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    transient=False, console=Console(stderr=True))


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator:
    """A rich progress bar on stderr; yields a listener(done, total, message) for ansinh.core.jobs.Progress."""
    if not _bars_shown(enabled):
        yield None
        return
    with _bars() as bar:
        tid = bar.add_task(label, total=None)

        def listener(done: int, total: int, message: str) -> None:
            bar.update(tid, completed=done, total=total or None, description=message or label)

        yield listener


class RowsBar:
    """Two bars on stderr for work over several files: the files done, and the rows done of the
    files begun so far, moved by each file's ansinh.core.jobs.Progress (row by row, not file by file)."""

    def __init__(self, bar, label: str, files: int):
        self.bar = bar
        self.files_task = bar.add_task(label, total=files)
        self.rows_task = bar.add_task("dòng", total=None)
        self.rows_before = self.total_before = 0
        self.done = self.total = 0

    def file(self, index: int, name: str) -> Callable[[int, int, str], None]:
        """Begin file number `index` (0-based); returns the listener for that file's Progress."""
        self.rows_before += self.done
        self.total_before += self.total
        self.done = self.total = 0
        self.bar.update(self.files_task, completed=index, description=name)

        def listener(done: int, total: int, message: str) -> None:
            self.done, self.total = done, total
            self.bar.update(self.rows_task, completed=self.rows_before + done,
                            total=(self.total_before + total) or None, description=message or name)

        return listener

    def finish(self, files: int, label: str) -> None:
        self.bar.update(self.files_task, completed=files, description=label)


@contextlib.contextmanager
def rows_bar(label: str, files: int, enabled: bool = True) -> Iterator[RowsBar | None]:
    if not _bars_shown(enabled):
        yield None
        return
    with _bars() as bar:
        yield RowsBar(bar, label, files)


def demo_only() -> None:
    """Every `ansinh demo` command: demo users have a published password and demo data is made up,
    so they exist only in a demo installation."""
    from django.conf import settings

    if not getattr(settings, "ANSINH_DEMO", False):
        fail("demo users and data only in a demo installation (set ANSINH_DEMO=1; `make demo` does)")


def _merge(target: typer.Typer, source: typer.Typer) -> None:
    """Add the commands (and sub-groups) of `source` to `target`."""
    target.registered_commands.extend(source.registered_commands)
    target.registered_groups.extend(source.registered_groups)


_app: typer.Typer | None = None


def build_app() -> typer.Typer:
    """The command tree (built once): installation verbs, the noun groups, `demo`."""
    global _app
    if _app is not None:
        return _app
    root = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=HELP)
    demo = typer.Typer(no_args_is_help=True, callback=demo_only,
                       help="Demo users and data (a demo installation only: ANSINH_DEMO=1).")
    core = importlib.import_module(CORE)
    _merge(root, core.installation)
    _merge(demo, core.demo)
    for noun, module_name in GROUPS:
        module = importlib.import_module(module_name)
        root.add_typer(module.app, name=noun)
        if module_name != CORE and hasattr(module, "demo"):
            _merge(demo, module.demo)
    root.add_typer(demo, name="demo")
    _app = root
    return root


def resolve_alias(argv: list[str]) -> list[str]:
    """The new command for an old one (with a one-line deprecation note on stderr); others unchanged."""
    for n in (2, 1):
        old = tuple(argv[:n])
        if len(old) == n and old in ALIASES:
            new = ALIASES[old]
            sys.stderr.write(f"ansinh: `ansinh {' '.join(old)}` is deprecated and goes in the next release; "
                             f"use `ansinh {' '.join(new)}`\n")
            return [*new, *argv[n:]]
    return list(argv)


def main(argv: list[str] | None = None) -> int:
    # Files this process makes (the embedded database, uploads, exports, backups) are the owner's only.
    os.umask(0o077)
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

    args = resolve_alias(sys.argv[1:] if argv is None else argv)
    from ansinh.audit.services import set_source

    set_source("cli ansinh " + " ".join(a for a in args[:2] if not a.startswith("-")))  # never the arguments
    try:
        rv = build_app()(args=args, standalone_mode=False, prog_name="ansinh")
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
