"""Decree 30/2020/NĐ-CP rendering of an official letter (công văn): .docx with python-docx,
.pdf through LibreOffice (`soffice --headless --convert-to pdf`) when it is installed.

Page: A4; margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm; Times New Roman.
Layout: header table (issuing body under its superior body | national motto), "Số: …" and
"V/v …" on the left, italic place-date line on the right, "Kính gửi:", body, signature block
on the right, "Nơi nhận:" bottom-left. A text with a name (``Letter.title``, e.g. "QUYẾT ĐỊNH",
used by ansinh.complaints.documents) prints the name and its subject ("Về việc …") centred under
the header instead of "V/v …", then the authority that issues it and its bases ("Căn cứ …");
body paragraphs given as ``Heading`` ("QUYẾT ĐỊNH:") print bold and centred.

The small text helpers are pure functions (tested without a database).
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
FONT = "Times New Roman"
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}


# --------------------------------------------------------------------------- pure helpers

def number_symbol(number: int | None, symbol: str) -> str:
    """"05/STTTT-TTBCXB" (numbers below 10 zero-padded); "…/SYMBOL" before a number is allocated."""
    return f"{number:02d}/{symbol}" if number else f"…/{symbol}"


def place_date(place: str, day: dt.date | None) -> str:
    """"Lạng Sơn, ngày 05 tháng 02 năm 2024": day < 10 and months 1–2 zero-padded."""
    if day is None:
        return f"{place}, ngày … tháng … năm …"
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def signature_lines(mode: str, authority: str, signer_title: str) -> list[str]:
    """The capitalised lines above the signature.

    KT./TL./TM./TUQ. sign for the head (or the collective): "KT. GIÁM ĐỐC" then "PHÓ GIÁM ĐỐC";
    Q. is the acting head: "Q. GIÁM ĐỐC"; no mode: the head's own title."""
    authority, signer_title = authority.strip().upper(), signer_title.strip().upper()
    if mode == "Q.":
        return [f"Q. {authority or signer_title}"]
    if mode:
        return [f"{mode} {authority}".strip()] + ([signer_title] if signer_title else [])
    return [signer_title or authority]


def issuing_body_line(name: str, superior_body: str) -> str:
    """The issuing body without the province its superior body already names:
    ("Sở Thông tin và Truyền thông tỉnh Lạng Sơn", "UBND TỈNH LẠNG SƠN") -> "Sở Thông tin và Truyền thông"."""
    sup = " ".join(superior_body.upper().split())
    for word in (" tỉnh ", " thành phố "):
        i = name.lower().rfind(word)
        if i > 0 and sup.endswith(name[i:].upper().strip()):
            return name[:i].strip()
    return name


def subject_line(subject: str) -> str:
    s = subject.strip()
    return s if s.lower().startswith("v/v") else f"V/v {s}"


def paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]


class Heading(str):
    """A body paragraph printed bold and centred ("QUYẾT ĐỊNH:")."""


@dataclass
class Letter:
    """Everything the renderer needs, independent of the database. ``title`` empty: a công văn
    (subject "V/v …" under the number, "Kính gửi:"); set: a text with a name (Decree 30 Appendix I,
    e.g. a decision): the name, the subject, ``authority`` and ``bases`` centred/italic above the body."""

    superior_body: str
    issuing_body: str
    number_symbol: str
    subject: str
    place_date: str
    addressees: list[str]
    body: list[str]
    signature: list[str]
    signer_name: str
    cc: list[str] = field(default_factory=list)
    archive: str = "VT"
    title: str = ""
    authority: str = ""
    bases: list[str] = field(default_factory=list)
    cc_first: str = "Như trên"


def letter_from_directive(d) -> Letter:
    addressees: list[str] = []
    for r in d.recipients.select_related("organisation").order_by("order", "id"):
        label = r.addressed_as or r.organisation.name
        if label not in addressees:
            addressees.append(label)
    body = paragraphs(d.body)
    impl = list(d.implements.order_by("order", "id"))
    if impl and not body:
        body = ["Thực hiện " + "; ".join(implemented_text(i) for i in impl) + "."]
    return Letter(
        superior_body=d.superior_body, issuing_body=issuing_body_line(d.organisation.name, d.superior_body), number_symbol=d.number_symbol,
        subject=subject_line(d.subject), place_date=place_date(d.place, d.date), addressees=addressees,
        body=body, signature=signature_lines(d.signing_mode, d.signing_authority, d.signer_title),
        signer_name=d.signer_name, cc=list(d.cc or []), archive=d.archive or "VT")


def implemented_text(i, about: bool = True) -> str:
    """"Công văn số 404/VP-KGVX ngày 24/01/2024 của UBND tỉnh về việc …" (without "về việc …"
    when `about` is false): how a letter cites a document it implements."""
    when = f" ngày {i.date:%d/%m/%Y}" if i.date else ""
    of = f" của {i.issuer}" if i.issuer else ""
    what = f" về việc {i.summary}" if about and i.summary else ""
    return f"Công văn số {i.number_symbol}{when}{of}{what}"


# --------------------------------------------------------------------------- .docx

def render_docx(letter: Letter) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])

    for style_name in ("Normal", "Table Grid"):
        try:
            st = doc.styles[style_name]
        except KeyError:
            continue
        st.font.name = FONT
        rpr = st.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rfonts.set(qn(attr), FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(14)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)

    def para(container, text="", *, bold=False, italic=False, size=None, align=None, underline=False,
             space_before=0, indent_first=None):
        p = container.add_paragraph()
        if align is not None:
            p.alignment = align
        p.paragraph_format.space_before = Pt(space_before)
        if indent_first is not None:
            p.paragraph_format.first_line_indent = indent_first
        if text:
            run = p.add_run(text)
            run.bold, run.italic, run.underline = bold, italic, underline
            run.font.name = FONT
            if size:
                run.font.size = Pt(size)
        return p

    center, right, left, justify = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT,
                                    WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.JUSTIFY)

    # Header: issuing body (left) | national motto (right); number + subject | place-date.
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _set_widths(table, (Mm(64), Mm(101)))
    c = table.cell(0, 0)
    first = c.paragraphs[0]
    first.alignment = center
    if letter.superior_body:
        r = first.add_run(letter.superior_body.upper())
        r.font.size = Pt(13)
        para(c, letter.issuing_body.upper(), bold=True, size=13, align=center, underline=False)
    else:
        r = first.add_run(letter.issuing_body.upper())
        r.bold, r.font.size = True, Pt(13)
    para(c, "_______", align=center, size=13)
    c = table.cell(0, 1)
    p = c.paragraphs[0]
    p.alignment = center
    r = p.add_run(MOTTO_1)
    r.bold, r.font.size = True, Pt(12)
    para(c, MOTTO_2, bold=True, size=14, align=center)
    para(c, "_______________________", align=center, size=13)
    c = table.cell(1, 0)
    p = c.paragraphs[0]
    p.alignment = center
    r = p.add_run(f"Số: {letter.number_symbol}")
    r.font.size = Pt(13)
    if not letter.title:
        para(c, letter.subject, size=12, align=center)
    c = table.cell(1, 1)
    p = c.paragraphs[0]
    p.alignment = center
    r = p.add_run(letter.place_date)
    r.italic, r.font.size = True, Pt(14)

    if letter.title:
        para(doc, letter.title.upper(), bold=True, align=center, space_before=12)
        para(doc, letter.subject, bold=True, align=center)
        para(doc, "__________", align=center)
        if letter.authority:
            para(doc, letter.authority.upper(), bold=True, align=center, space_before=12)
        for text in letter.bases:
            para(doc, text, italic=True, align=justify, indent_first=Mm(10), space_before=3)

    # "Kính gửi:"
    p = para(doc, align=center, space_before=12) if letter.addressees else None
    if not letter.addressees:
        pass
    elif len(letter.addressees) == 1:
        p.add_run(f"Kính gửi: {letter.addressees[0]}.")
    else:
        p.add_run("Kính gửi:")
        for i, a in enumerate(letter.addressees):
            end = "." if i == len(letter.addressees) - 1 else ";"
            q = para(doc, f"- {a}{end}", align=left)
            q.paragraph_format.left_indent = Mm(45)

    for i, text in enumerate(letter.body):
        if isinstance(text, Heading):
            para(doc, str(text), bold=True, align=center, space_before=12)
            continue
        p = para(doc, text, align=justify, indent_first=Mm(10),
                 space_before=12 if i == 0 else (3 if letter.title else 6))

    # Bottom: "Nơi nhận:" (left) | signature (right).
    bottom = doc.add_table(rows=1, cols=2)
    bottom.autofit = False
    _keep_row_together(bottom.rows[0])
    _set_widths(bottom, (Mm(80), Mm(85)))
    cl, cr = bottom.cell(0, 0), bottom.cell(0, 1)
    p = cl.paragraphs[0]
    p.paragraph_format.space_before = Pt(12)
    r = p.add_run("Nơi nhận:")
    r.bold, r.italic, r.font.size = True, True, Pt(12)
    lines = ([f"- {letter.cc_first};"] if letter.cc_first else []) + [f"- {x.rstrip(';.')};" for x in letter.cc] + [f"- Lưu: {letter.archive}."]
    for line in lines:
        para(cl, line, size=11)
    p = cr.paragraphs[0]
    p.alignment = center
    p.paragraph_format.space_before = Pt(12)
    for i, line in enumerate(letter.signature):
        if i == 0:
            r = p.add_run(line)
            r.bold = True
        else:
            para(cr, line, bold=True, align=center)
    for _ in range(4):
        para(cr, "", align=center)
    para(cr, letter.signer_name, bold=True, align=center)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _keep_row_together(row) -> None:
    """The signature block is not split across two pages (Word's and LibreOffice's "cantSplit")."""
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))


def _set_widths(table, widths) -> None:
    """Column widths that Word and LibreOffice both honour: the grid and every cell."""
    from docx.oxml.ns import qn

    grid = table._tbl.tblGrid
    for i, col in enumerate(grid.findall(qn("w:gridCol"))):
        col.set(qn("w:w"), str(int(widths[i].twips)))
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = widths[i]


# --------------------------------------------------------------------------- .pdf

def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed (or failed): no PDF."""


def docx_to_pdf(docx_bytes: bytes, timeout: int = 120) -> bytes:
    exe = soffice_path()
    if exe is None:
        raise PdfUnavailable("LibreOffice (soffice) is not installed: PDF not available")
    with tempfile.TemporaryDirectory(prefix="ansinh-docx-") as tmp:
        src = Path(tmp) / "letter.docx"
        src.write_bytes(docx_bytes)
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", tmp, str(src)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            raise PdfUnavailable(f"LibreOffice could not convert the letter: {exc}") from exc
        out = Path(tmp) / "letter.pdf"
        if not out.exists():
            raise PdfUnavailable("LibreOffice produced no PDF")
        return out.read_bytes()


def render_directive(d, fmt: str) -> bytes:
    data = render_docx(letter_from_directive(d))
    if fmt == "docx":
        return data
    if fmt == "pdf":
        return docx_to_pdf(data)
    raise ValueError(f"unknown format {fmt!r} (docx or pdf)")


# --------------------------------------------------------------------------- audio (bonus)

def espeak_path() -> str | None:
    return shutil.which("espeak-ng")


class AudioUnavailable(RuntimeError):
    """espeak-ng is not installed (or failed): no audio; the text is the product."""


def bulletin_wav(text: str, speed: int = 140, timeout: int = 60) -> bytes:
    """The bulletin read by espeak-ng's Vietnamese voice, as a WAV file."""
    exe = espeak_path()
    if exe is None:
        raise AudioUnavailable("espeak-ng is not installed: no audio")
    with tempfile.TemporaryDirectory(prefix="ansinh-tts-") as tmp:
        out = Path(tmp) / "bulletin.wav"
        try:
            subprocess.run([exe, "-v", "vi", "-s", str(speed), "-w", str(out), "--stdin"], input=text.encode("utf-8"),
                           check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            raise AudioUnavailable(f"espeak-ng failed: {exc}") from exc
        return out.read_bytes()
