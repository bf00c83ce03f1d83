"""Printable outputs of any report (ansinh.reports.selectors.Report):

- .xlsx: every table one under the other on one sheet, through payroll's typed `Sheet`
  (counts `#,##0`, amounts `#,##0`, shares `0.0`), each table with its totals row in bold;
- .docx: a Decree 30 cover letter (outreach/rendering.render_docx, the directive renderer)
  followed by the annex ("Phụ lục") holding the tables, numbers written `1.000.000`;
- .pdf: the .docx converted by LibreOffice (outreach/rendering.docx_to_pdf).
"""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from ansinh.formats import vn_number
from ansinh.payroll import xlsx
from ansinh.reports.selectors import AMOUNT, INT, PCT, TEXT, Report

FORMATS = ("xlsx", "docx", "pdf")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
_KINDS = {TEXT: xlsx.TEXT, INT: xlsx.AMOUNT, AMOUNT: xlsx.AMOUNT, PCT: "pct"}


def file_name(report: Report, fmt: str) -> str:
    unit = report.unit.code if report.unit is not None else report.unit_label
    return f"bao-cao-{report.code}-{report.period.code.replace('..', '_')}-{unit}-{report.map}.{fmt}"


def heading(report: Report) -> list[str]:
    map_words = "bản đồ hành chính cũ (trước 01/07/2025)" if report.map == "old" else "bản đồ hành chính mới"
    return [report.title.upper(), f"{report.unit_label} — {report.period.label}",
            f"Số liệu tính đến ngày {report.as_of:%d/%m/%Y}; {map_words}"]


def render(report: Report, fmt: str, **letter) -> bytes:
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "docx":
        return render_docx(report, **letter)
    if fmt == "pdf":
        from ansinh.outreach.rendering import docx_to_pdf

        return docx_to_pdf(render_docx(report, **letter))
    raise ValueError(f"unknown format {fmt!r} (xlsx, docx or pdf)")


# ----------------------------------------------------------------------------- .xlsx

class _ReportSheet(xlsx.Sheet):
    """payroll's Sheet plus one more kind: a share in per cent with one decimal."""

    def _format(self, style, kind):
        if kind != "pct":
            return super()._format(style, kind)
        key = (style, kind)
        f = self._formats.get(key)
        if f is None:
            props = dict(xlsx._STYLE_PROPS[style])
            props["num_format"] = "0.0"
            f = self._formats[key] = self.wb.add_format(props)
        return f

    def row(self, values, style=xlsx.PLAIN, kinds=None):
        if kinds and "pct" in kinds:
            r = self.n
            self.n += 1
            for c, v in enumerate(values):
                k = kinds[c] if c < len(kinds) else None
                if k == "pct" and isinstance(v, int | float):
                    self.ws.write_number(r, c, v, self._format(style, "pct"))
                elif v is None or v == "":
                    if style:
                        self.ws.write_blank(r, c, None, self._format(style, None))
                elif k == xlsx.AMOUNT and isinstance(v, int | float):
                    self.ws.write_number(r, c, v, self._format(style, xlsx.AMOUNT))
                else:
                    self.ws.write_string(r, c, str(xlsx.safe_cell(v)), self._format(style, xlsx.TEXT))
            return
        super().row(values, style, kinds)


def render_xlsx(report: Report) -> bytes:
    width = max(len(t.columns) for t in report.tables)
    with tempfile.TemporaryDirectory(prefix="ansinh-report-") as tmp:
        path = Path(tmp) / "report.xlsx"
        sheet = _ReportSheet(path, "Báo cáo", (10, 34) + (16,) * (width - 2), landscape=True)
        for line in heading(report):
            sheet.row([line], xlsx.BOLD)
        for t in report.tables:
            sheet.row([])
            sheet.row([t.title], xlsx.BOLD)
            sheet.row([c.label for c in t.columns], xlsx.HEADER)
            kinds = tuple(_KINDS[c.kind] for c in t.columns)
            for r in t.rows:
                sheet.row([r.get(c.key, "") for c in t.columns], xlsx.BORDER, kinds)
            if t.total is not None:
                sheet.row([t.total.get(c.key, "") for c in t.columns], xlsx.HEADER, kinds)
        sheet.row([])
        for n in report.notes:
            sheet.row([n])
        sheet.close()
        return path.read_bytes()


# ----------------------------------------------------------------------------- .docx

def cell_text(value, kind: str) -> str:
    """A number as the Vietnamese document writes it: 1.000.000, shares 45,3."""
    if value is None or value == "":
        return ""
    if kind == PCT and isinstance(value, int | float):
        return f"{value:.1f}".replace(".", ",")
    if kind in (INT, AMOUNT) and isinstance(value, int | float):
        return vn_number(int(value))
    return str(value)


def cover_letter(report: Report, *, user=None, day: dt.date | None = None, number: int | None = None):
    """The cover letter (outreach/rendering.Letter) of a report sent to the province's People's Committee."""
    from ansinh.core.selectors import organisation_of
    from ansinh.outreach import rendering as R
    from ansinh.units.models import AdminUnit, Level

    province = AdminUnit.objects.filter(code=report.unit.province_code if report.unit else "", level=Level.PROVINCE,
                                        valid_to__isnull=True).first()
    place = province.short_name if province else ""
    superior = f"UBND {province.name}".upper() if province else ""
    org = organisation_of(user)
    issuer = org.name if org is not None else (f"Sở Y tế {province.name}" if province else "Sở Y tế")
    symbol = f"{org.symbol or 'SYT'}-BTXH" if org is not None else "SYT-BTXH"
    what = report.title[len("Báo cáo "):] if report.title.startswith("Báo cáo ") else report.title
    what = what[0].lower() + what[1:]
    committee = f"Ủy ban nhân dân {province.name[0].lower() + province.name[1:]}" if province else \
        "Ủy ban nhân dân tỉnh"
    body = [
        f"Thực hiện chế độ báo cáo về chi trả trợ cấp an sinh xã hội không dùng tiền mặt, {R.issuing_body_line(issuer, superior)} "
        f"báo cáo {what} {report.period.label} của {report.unit_label} "
        f"(số liệu tính đến ngày {report.as_of:%d/%m/%Y}) như sau:",
    ]
    total = report.figures.get("total") or {}
    if report.code == "progress" and total:
        body.append(
            f"Tổng số đối tượng đang hưởng: {vn_number(total['beneficiaries'])} người; có tài khoản: "
            f"{vn_number(total['with_account'])} người ({cell_text(total['with_account_share'], PCT)}%); tài khoản "
            f"đã xác nhận: {vn_number(total['confirmed'])} người; đã chi qua tài khoản trong kỳ: "
            f"{vn_number(total['paid_noncash'])} người; chi bằng tiền mặt: {vn_number(total['paid_cash'])} người.")
    elif report.code == "payroll" and total:
        body.append(f"Tổng số dòng chi trả: {vn_number(total['lines'])}, tổng số tiền: {vn_number(total['total_amount'])} "
                    f"đồng; đã chi {vn_number(total['paid_amount'])} đồng, chưa chi {vn_number(total['unpaid_amount'])} đồng.")
    elif report.code == "complaints" and total:
        body.append(f"Trong kỳ đã tiếp nhận {vn_number(total['received'])} đơn, thụ lý {vn_number(total['accepted'])} đơn, "
                    f"giải quyết {vn_number(total['decided'])} đơn (đúng hạn {vn_number(total['decided_in_time'])} đơn); "
                    f"cuối kỳ còn {vn_number(total['open_end'])} đơn đang giải quyết, trong đó "
                    f"{vn_number(total['overdue_end'])} đơn quá hạn.")
    body.append("Chi tiết tại Phụ lục kèm theo.")
    body.append(f"{R.issuing_body_line(issuer, superior)} báo cáo để Ủy ban nhân dân tỉnh biết, chỉ đạo./.")
    return R.Letter(superior_body=superior, issuing_body=R.issuing_body_line(issuer, superior),
                    number_symbol=R.number_symbol(number, symbol),
                    subject=R.subject_line(f"báo cáo {what} {report.period.label}"),
                    place_date=R.place_date(place, day), addressees=[committee],
                    body=body, signature=R.signature_lines("KT.", "Giám đốc", "Phó Giám đốc"), signer_name="",
                    cc=["Lãnh đạo Sở"], archive="VT, BTXH")


def render_docx(report: Report, *, user=None, day: dt.date | None = None, number: int | None = None) -> bytes:
    """The cover letter, then a page break and the annex (landscape) with every table."""
    import io

    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    from ansinh.outreach.rendering import MARGINS_MM, PAGE_MM, render_docx as render_letter

    doc = Document(io.BytesIO(render_letter(cover_letter(report, user=user, day=day, number=number))))
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(PAGE_MM[1]), Mm(PAGE_MM[0])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["right"] + 5), Mm(MARGINS_MM["right"])

    def para(text, *, bold=False, italic=False, size=13, center=True):
        p = doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        r = p.add_run(text)
        r.bold, r.italic, r.font.size = bold, italic, Pt(size)
        return p

    para("Phụ lục", bold=True, size=14)
    for i, line in enumerate(heading(report)):
        para(line, bold=i == 0, italic=i == 2, size=13 if i else 14)
    for t in report.tables:
        para(t.title, bold=True, size=12, center=False).paragraph_format.space_before = Pt(10)
        table = doc.add_table(rows=1, cols=len(t.columns))
        table.style = "Table Grid"
        for c, col in enumerate(t.columns):
            _cell(table.rows[0].cells[c], col.label, bold=True, center=True)
        for r in t.rows + ([t.total] if t.total is not None else []):
            cells = table.add_row().cells
            for c, col in enumerate(t.columns):
                _cell(cells[c], cell_text(r.get(col.key, ""), col.kind), bold=r is t.total,
                      right=col.kind != TEXT)
    for n in report.notes:
        para(n, italic=True, size=11, center=False)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _cell(cell, text: str, *, bold=False, center=False, right=False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    r = p.add_run(text)
    r.bold, r.font.size = bold, Pt(10)
