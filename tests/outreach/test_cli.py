"""CLI: `ansinh outreach directive list [--json]`, `outreach directive render`, `outreach bulletin`."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from docx import Document

from ansinh.cli import main
from ansinh.outreach.rendering import soffice_path
from ansinh.outreach.demo import SUBJECT

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_directive_list_json_and_text(demo, capsys):
    rc, out, _ = run(capsys, "outreach", "directive", "list", "--json")
    assert rc == 0
    rows = json.loads(out)
    assert rows == [{"id": demo["directive"], "number_symbol": "01/STTTT-TTBCXB", "date": "2024-02-05",
                     "subject": "V/v " + SUBJECT,
                     "status": "published", "organisation": "Sở Thông tin và Truyền thông tỉnh Lạng Sơn"}]
    rc, out, _ = run(capsys, "outreach", "directive", "list")
    assert rc == 0 and "01/STTTT-TTBCXB" in out and "published" in out


def test_directive_render_docx(demo, capsys, tmp_path):
    out_file = tmp_path / "cv.docx"
    rc, out, _ = run(capsys, "outreach", "directive", "render", demo["directive"], "--format", "docx", "--out", out_file)
    assert rc == 0 and str(out_file) in out
    doc = Document(str(out_file))
    assert doc.tables[0].cell(1, 0).paragraphs[0].text == "Số: 01/STTTT-TTBCXB"


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
def test_directive_render_pdf(demo, capsys, tmp_path):
    out_file = tmp_path / "cv.pdf"
    rc, _, err = run(capsys, "outreach", "directive", "render", demo["directive"], "--format", "pdf", "--out", out_file)
    assert rc == 0, err
    assert out_file.read_bytes().startswith(b"%PDF")


def test_directive_render_bad_input(demo, capsys, tmp_path):
    rc, _, err = run(capsys, "outreach", "directive", "render", 99999, "--format", "docx", "--out", tmp_path / "x.docx")
    assert rc == 2 and err.strip().splitlines() == ["ansinh: no directive with id 99999"]
    rc, _, err = run(capsys, "outreach", "directive", "render", demo["directive"], "--format", "odt", "--out", tmp_path / "x")
    assert rc == 2 and "docx or pdf" in err and len(err.strip().splitlines()) == 1


def test_bulletin(demo, capsys):
    from .test_views import _registry_people

    _registry_people("06079", 8, 6)
    today = dt.date.today().isoformat()
    rc, out, _ = run(capsys, "outreach", "bulletin", "--commune", "06079", "--as-of", today, "--json")
    assert rc == 0
    data = json.loads(out)
    assert (data["beneficiaries"], data["with_accounts"], data["share_pct"]) == (8, 6, 75.0)
    assert data["commune_name"] == "Xã Hồng Phong" and "căn cước" in data["text"]
    rc, out, _ = run(capsys, "outreach", "bulletin", "--commune", "06079", "--as-of", today)
    assert rc == 0 and out.startswith("Thông báo của Xã Hồng Phong") and "đạt 75%" in out
    rc, _, err = run(capsys, "outreach", "bulletin", "--commune", "99999")
    assert rc == 2 and "no commune" in err
    rc, _, err = run(capsys, "outreach", "bulletin", "--commune", "06079", "--as-of", "31/12/2024")
    assert rc == 2 and "YYYY-MM-DD" in err


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (audio is a bonus)")
def test_bulletin_audio(demo, capsys, tmp_path):
    wav = tmp_path / "b.wav"
    rc, out, err = run(capsys, "outreach", "bulletin", "--commune", "05977", "--audio", wav, "--json")
    assert rc == 0, err
    assert json.loads(out)["audio"] == str(wav)
    data = wav.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) > 50_000
