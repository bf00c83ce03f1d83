"""The seed letter rendered as .docx is read back (python-docx) and checked against Decree 30/2020;
the PDF made by LibreOffice exists and carries the text."""
from __future__ import annotations

import io
import shutil

import pytest
from docx import Document
from docx.shared import Mm

from ansinh.outreach.models import Directive
from ansinh.outreach.rendering import docx_to_pdf, render_directive, soffice_path

pytestmark = pytest.mark.django_db


def _mm(length) -> float:
    return round(length / Mm(1), 1)


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
    return "\n".join(parts)


@pytest.fixture
def seed(demo) -> Directive:
    return Directive.objects.get(pk=demo["directive"])


def test_docx_page_setup_font_and_blocks(seed):
    doc = Document(io.BytesIO(render_directive(seed, "docx")))
    sec = doc.sections[0]
    assert (_mm(sec.page_width), _mm(sec.page_height)) == (210.0, 297.0)  # A4 portrait
    assert 20 <= _mm(sec.top_margin) <= 25 and 20 <= _mm(sec.bottom_margin) <= 25
    assert 30 <= _mm(sec.left_margin) <= 35 and 15 <= _mm(sec.right_margin) <= 20
    assert doc.styles["Normal"].font.name == "Times New Roman"
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.font.name}
    for t in doc.tables:
        for cell in t._cells:
            fonts |= {r.font.name for p in cell.paragraphs for r in p.runs if r.font.name}
    assert fonts == {"Times New Roman"}

    header = doc.tables[0]
    left = "\n".join(p.text for p in header.cell(0, 0).paragraphs)
    right = [p for p in header.cell(0, 1).paragraphs if p.text]
    assert left.startswith("UBND TỈNH LẠNG SƠN\nSỞ THÔNG TIN VÀ TRUYỀN THÔNG\n")
    assert [p.text for p in right[:2]] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert all(r.bold for p in right[:2] for r in p.runs)
    number_cell = [p.text for p in header.cell(1, 0).paragraphs]
    assert number_cell[0] == f"Số: {seed.number:02d}/STTTT-TTBCXB"
    assert number_cell[1].startswith("V/v tuyên truyền Kết luận của Ban Thường vụ Tỉnh ủy")
    date_par = header.cell(1, 1).paragraphs[0]
    assert date_par.text == "Lạng Sơn, ngày 05 tháng 02 năm 2024"
    assert all(r.italic for r in date_par.runs)

    texts = [p.text for p in doc.paragraphs]
    k = texts.index("Kính gửi:")
    assert texts[k + 1] == "- Báo Lạng Sơn;"
    assert texts[k + 2] == "- Đài Phát thanh và Truyền hình tỉnh;"
    assert texts[k + 3] == "- Phòng Văn hóa và Thông tin các huyện, thành phố."
    body = "\n".join(texts[k:])
    for ref in ("316/VP-NC ngày 18/01/2023", "404/VP-KGVX ngày 24/01/2024", "121/SLĐT BXH-BTXHTE ngày 17/01/2024",
                "30-40%", "70-80%", "báo cáo kết quả về Sở khi có yêu cầu"):
        assert ref in body

    bottom = doc.tables[-1]
    noi_nhan = [p.text for p in bottom.cell(0, 0).paragraphs]
    assert noi_nhan[0] == "Nơi nhận:" and noi_nhan[1] == "- Như trên;" and noi_nhan[-1] == "- Lưu: VT, TTBCXB (LMV)."
    assert all(r.bold and r.italic for r in bottom.cell(0, 0).paragraphs[0].runs)
    sign = [p.text for p in bottom.cell(0, 1).paragraphs if p.text]
    assert sign == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", seed.signer_name]
    # Signature right, "Nơi nhận" left: the bottom table's cells in that order.
    assert bottom.cell(0, 0)._tc is not bottom.cell(0, 1)._tc


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
def test_pdf_from_libreoffice_has_the_text(seed, tmp_path):
    pdf = docx_to_pdf(render_directive(seed, "docx"))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = _pdf_text(path)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Lạng Sơn, ngày 05 tháng 02 năm 2024" in flat
    assert f"{seed.number:02d}/STTTT-TTBCXB" in flat
    assert "Nơi nhận" in flat


def _pdf_text(path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        exe = shutil.which("pdftotext")
        assert exe, "neither pypdf nor pdftotext is available to read the PDF back"
        import subprocess

        return subprocess.run([exe, str(path), "-"], check=True, capture_output=True, text=True).stdout
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
