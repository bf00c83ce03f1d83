"""The English catalogue (decision 0003: message ids are Vietnamese): every entry has an English
translation (none empty, none fuzzy, none twice), the compiled .mo says the same as the .po,
and every string the code marks for translation is in the catalogue."""
from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ansinh

PACKAGE = Path(ansinh.__file__).resolve().parent
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unquote(lines: list[str]) -> str:
    text = "".join(m.group(1) for line in lines for m in [_STRING.search(line)] if m)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr(s), flags, obsolete."""
    out, cur, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur is not None:
                out.append(cur)
            cur, field = None, None
            continue
        if cur is None:
            cur = {"flags": set(), "obsolete": False, "parts": {}}
        if line.startswith("#~"):
            cur["obsolete"] = True
            continue
        if line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            field = m.group(1)
            cur["parts"][field] = [m.group(2)]
        elif line.startswith('"') and field:
            cur["parts"][field].append(line)
    for e in out:
        e.update({k: _unquote(v) for k, v in e.pop("parts").items()})
    return [e for e in out if "msgid" in e]


def _key(e: dict) -> tuple:
    return e.get("msgctxt"), e["msgid"]


def test_every_english_entry_is_translated_and_not_fuzzy():
    problems = []
    seen = set()
    for e in entries(PO):
        if e["obsolete"] or e["msgid"] == "":
            continue
        if "fuzzy" in e["flags"]:
            problems.append(f"fuzzy: {e['msgid'][:70]!r}")
        strs = [v for k, v in e.items() if k.startswith("msgstr")]
        if not strs or any(not s.strip() for s in strs):
            problems.append(f"no English: {e['msgid'][:70]!r}")
        if _key(e) in seen:
            problems.append(f"twice: {e['msgid'][:70]!r}")
        seen.add(_key(e))
    assert not problems, "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po():
    """Forgetting `msgfmt -o django.mo django.po` after an edit shows Vietnamese in English pages."""
    with MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in entries(PO):
        if e["obsolete"] or e["msgid"] == "" or "msgid_plural" in e or "msgctxt" in e:
            continue
        if mo.gettext(e["msgid"]) != e["msgstr"]:
            stale.append(e["msgid"][:70])
    assert not stale, "django.mo is older than django.po (run msgfmt): " + "; ".join(stale[:10])


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools (xgettext) are not installed")
def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """`django-admin makemessages -l en` on a copy of the package: no extracted string is missing."""
    copy = tmp_path / "ansinh"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo", "*.po"))
    (copy / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "en", "-e", "html,py,txt",
                          "--no-location", "--no-obsolete"], cwd=copy, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    ours = {_key(e) for e in entries(PO) if not e["obsolete"]}
    missing = [e["msgid"][:80] for e in entries(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
               if e["msgid"] and _key(e) not in ours]
    assert not missing, "strings not in the English catalogue:\n" + "\n".join(missing)
