"""docs/architecture.md stays true: one row per app and per fact, and every file, module and
name its tables mention exists.

Pure (no database): the tables are read as text and the modules they name are parsed with ast.
Checked in the "Apps" and "Where each fact lives" tables:

- an app or a fact (the first cell) appears once;
- a backticked path (`core/scope.py`, `ansinh/text/dates.py`, `deploy/nginx/ansinh.conf`,
  `tests/...`) exists: module paths relative to src/ansinh, deploy/docs/tests/bench relative to
  the repository; a bare `name.py` in the Apps table exists in that app;
- a backticked module reference names something the module defines or imports:
  `core/selectors.organisation_of`, `payroll/files.BANK_KINDS`, `registry.services`;
  `registry/models.py` `usable_account_q` (a name right after the module); and the backticked
  names in the parenthesis right after a module (`core/scope.py` (`succession_links` ...)).

Paths anywhere else in the document (the Flows) must exist too. Prose, commands
(`ansinh demo setup`), formats (`dd/mm/yyyy`) and placeholders (`<app>/demo.py`) are left alone.
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "src" / "ansinh"
DOC = REPO / "docs" / "architecture.md"
REPO_ROOTS = ("deploy", "docs", "tests", "bench")
IDENT = re.compile(r"[A-Za-z_]\w*$")


def _sections() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
        elif current:
            out[current].append(line)
    return out


def _split_row(line: str) -> list[str]:
    """A markdown table row's cells; a | inside backticks (`list|render`) stays in its cell."""
    cells, cell, in_code = [], "", False
    body = line.strip()[1:]
    if body.endswith("|"):
        body = body[:-1]
    for ch in body:
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
    cells.append(cell.strip())
    return cells


def _table(section: str) -> list[list[str]]:
    lines = [ln for ln in _sections()[section] if ln.strip().startswith("|")]
    assert len(lines) > 2, f"no table under '## {section}'"
    return [_split_row(ln) for ln in lines[2:]]  # header and --- line dropped


def apps_rows():
    return _table("Apps")


def fact_rows():
    return _table("Where each fact lives")


# -- modules ------------------------------------------------------------------------------

def _module_file(dotted: str) -> Path | None:
    parts = dotted.split(".")
    base = PKG.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


@cache
def _names(path: Path) -> frozenset[str]:
    """Every name a module defines (functions, classes, methods, assignments at any depth)
    or imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return frozenset(names)


def _top_level() -> set[str]:
    return {p.stem for p in PKG.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}


def _strip_call(token: str) -> str:
    """`province_for(user, given)` -> province_for; `log_changes(insert=…)` -> log_changes."""
    return token.split("(", 1)[0].strip()


def resolve(token: str) -> tuple[Path | None, list[str], str | None]:
    """A backticked token -> (module or file, names it references, problem).

    (None, [], None) when the token is not a reference this test checks."""
    tok = _strip_call(token)
    if not tok or " " in tok or "<" in tok or not re.fullmatch(r"[\w./-]+", tok):
        return None, [], None
    if tok.startswith(("ansinh/", "ansinh.")):
        tok = tok[len("ansinh/"):]
    first = re.split(r"[./]", tok, maxsplit=1)[0]
    if first in REPO_ROOTS and "/" in tok:
        path = REPO / tok
        return path, [], None if path.exists() else f"{token}: no such file"
    if "/" not in tok and (tok.endswith(".py") or first not in _top_level()):
        return None, [], None  # a bare file name (the tables check those), prose (`entitlement.dues`)
    if "/" in tok and first not in _top_level() and not tok.endswith(".py"):
        return None, [], None  # a format such as mm/yyyy, or `_walk`/`_linked_ids`
    if tok.endswith(".py"):
        path = PKG / tok
        return path, [], None if path.is_file() else f"{token}: no such file under src/ansinh"
    if tok.endswith("/"):
        path = PKG / tok
        return path, [], None if path.is_dir() else f"{token}: no such folder under src/ansinh"
    parts = tok.replace("/", ".").split(".")
    for cut in range(len(parts), 0, -1):
        mod = _module_file(".".join(parts[:cut]))
        if mod is not None:
            break
    else:
        return None, [], f"{token}: no such module under src/ansinh"
    if "/" in tok and cut < tok.count("/") + 1:
        return None, [], f"{token}: no such module under src/ansinh"
    return mod, parts[cut:], None


def _missing_names(token: str, mod: Path, names: list[str]) -> list[str]:
    defined = _names(mod) if mod.suffix == ".py" else frozenset()
    rel = mod.relative_to(PKG) if mod.is_relative_to(PKG) else mod
    return [f"{token}: {rel} defines no '{n}'" for n in names if n not in defined]


def _backticked(cell: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"`([^`]+)`", cell)]


def _paren_after(cell: str, pos: int) -> str | None:
    """The text of a parenthesis starting right after pos (whitespace allowed), balanced."""
    m = re.compile(r"\s*\(").match(cell, pos)
    if not m:
        return None
    depth, i = 1, m.end()
    in_code = False
    while i < len(cell):
        ch = cell[i]
        if ch == "`":
            in_code = not in_code
        elif not in_code and ch == "(":
            depth += 1
        elif not in_code and ch == ")":
            depth -= 1
            if depth == 0:
                return cell[m.end():i]
        i += 1
    return cell[m.end():]


def problems_in_cell(cell: str) -> list[str]:
    problems = []
    ticks = _backticked(cell)
    for k, (start, end, token) in enumerate(ticks):
        mod, names, problem = resolve(token)
        if problem:
            problems.append(problem)
            continue
        if mod is None or mod.suffix != ".py" or not mod.is_relative_to(PKG):
            continue
        problems += _missing_names(token, mod, names)
        # `registry/models.py` `usable_account_q`: a name right after the module
        if k + 1 < len(ticks):
            n_start, n_end, nxt = ticks[k + 1]
            chain = _strip_call(nxt).split(".")  # `Enrolment.objects.active_in(month)`
            if cell[end:n_start].strip() == "" and all(IDENT.match(n) for n in chain):
                problems += _missing_names(f"{token} `{nxt}`", mod, chain)
                end = n_end
        # `core/scope.py` (`succession_links` one step, ...), `registry/models.py` `usable_account_q`
        # (SQL form `usable_account_sql`): names in the parenthesis after it
        inner = _paren_after(cell, end)
        if inner:
            for _, _, sub in _backticked(inner):
                name = _strip_call(sub)
                if IDENT.match(name) and resolve(sub) == (None, [], None):
                    problems += _missing_names(f"{token} (`{sub}`)", mod, [name])
    return problems


# -- the tests ----------------------------------------------------------------------------

def _duplicates(rows) -> list[str]:
    seen, dup = set(), []
    for row in rows:
        key = re.sub(r"\s+", " ", row[0]).strip().lower()
        if key in seen:
            dup.append(row[0])
        seen.add(key)
    return dup


def test_each_app_once():
    assert _duplicates(apps_rows()) == []


def test_each_fact_once():
    assert _duplicates(fact_rows()) == []


def test_apps_table_names_existing_modules():
    problems = []
    for row in apps_rows():
        app = (_backticked(row[0]) or [(0, 0, row[0])])[0][2]
        app_dir = PKG / app.removeprefix("ansinh.").removesuffix(".py")
        for cell in row:
            problems += problems_in_cell(cell)
            for _, _, token in _backticked(cell):
                if re.fullmatch(r"\w+/", token) and app_dir.is_dir() and not (app_dir / token).is_dir():
                    problems.append(f"{app}: no folder {token} in {app_dir.relative_to(PKG)}/")
                if re.fullmatch(r"\w+\.py", token) and app_dir.is_dir():
                    if not any(app_dir.rglob(token)):
                        problems.append(f"{app}: no {token} in {app_dir.relative_to(PKG)}/")
                elif re.fullmatch(r"\w+\.py", token) and not (PKG / token).is_file():
                    problems.append(f"{app}: no {token} under src/ansinh")
    assert problems == []


def test_fact_table_names_existing_files_and_functions():
    problems = []
    for row in fact_rows():
        for cell in row:
            problems += problems_in_cell(cell)
            for _, _, token in _backticked(cell):
                if re.fullmatch(r"\w+\.py", token) and not any(PKG.rglob(token)):
                    problems.append(f"{token}: no such file under src/ansinh")
    assert problems == []


def test_paths_elsewhere_exist():
    problems = []
    for section, lines in _sections().items():
        if section in ("Apps", "Where each fact lives"):
            continue
        for line in lines:
            for _, _, token in _backticked(line):
                _, _, problem = resolve(token)
                if problem and "/" in _strip_call(token):
                    problems.append(f"## {section}: {problem}")
    assert problems == []


# -- the checker itself catches what it should ---------------------------------------------

def test_checker_catches_a_moved_function_and_a_removed_file():
    assert problems_in_cell("`core/selectors.organisation_of`") == []
    assert problems_in_cell("`core/selectors.no_such_function`")
    assert problems_in_cell("`registry/bank_columns.py` (bank column)")
    assert problems_in_cell("`registry.no_such_module`")
    assert problems_in_cell("`registry/models.py` `no_such_q(prefix)`")
    assert problems_in_cell("`core/scope.py` (`succession_links` one step, `nope` two)")
    assert problems_in_cell("`registry/models.py` `usable_account_q(prefix)` (SQL form `nope_sql`)")
    assert problems_in_cell("`registry/models.py` `Enrolment.objects.nope(month)`")
    assert problems_in_cell("`deploy/no-such.conf`")
    assert problems_in_cell("`dd/mm/yyyy`, `ansinh demo setup`, `<app>/demo.py`, `#,##0`") == []
    assert _duplicates([["`payroll`"], ["`payroll` "]]) == ["`payroll` "]
