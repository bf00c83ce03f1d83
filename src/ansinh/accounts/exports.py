"""Outreach lists: people without an account (or missing something for a non-cash payment)
per commune and village, with what they need to bring. .xlsx (openpyxl) and a printable
PDF (reportlab, with a Unicode TrueType font found on the system: DejaVu Sans or
Liberation Sans — Vietnamese needs one; no font means no PDF, said plainly)."""
from __future__ import annotations

import datetime as dt
import io

from ansinh.accounts.lists import group_by_village
from ansinh.core.exports import safe_row
from ansinh.core.pdf import para_text
from ansinh.formats import vn_number

HEADER = ["STT", "Thôn/bản", "Họ và tên", "Ngày sinh", "Số định danh", "Điện thoại", "Còn thiếu",
          "Cần mang theo", "Người được ủy quyền"]


def _row(i: int, r: dict, show) -> list:
    p = r["person"]
    return [i, r["village"], p.full_name, p.dob_display, show(p.id_number or "", "id"), show(p.phone, "phone"), "; ".join(r["missing_labels"]),
            r["bring"], ", ".join(f"{a.full_name} ({a.relationship})" if a.relationship else a.full_name
                                  for a in r["authorised"])]


def outreach_xlsx(unit, rows: list[dict], day: dt.date, show) -> bytes:
    """`show`: the reader's view of ID and phone numbers (ansinh.core.masking.for_user)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(safe_row([f"DANH SÁCH ĐỐI TƯỢNG CẦN MỞ/HOÀN THIỆN TÀI KHOẢN – {unit.name.upper()}"]))
    ws.append([f"Tính đến ngày {day:%d/%m/%Y}; {vn_number(len(rows))} người"])
    ws.append(HEADER)
    for c in ws[3]:
        c.font = Font(bold=True)
    ws["A1"].font = Font(bold=True, size=13)
    i = 0
    for _village, items in group_by_village(rows):
        for r in items:
            i += 1
            ws.append(safe_row(_row(i, r, show)))
    for col, width in zip("ABCDEFGHI", (5, 18, 26, 11, 14, 12, 30, 50, 28)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=4):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()




class NoFont(RuntimeError):
    pass


def _fonts() -> tuple[str, str]:
    from ansinh.core.pdf import unicode_fonts

    fonts = unicode_fonts()
    if fonts is None:
        raise NoFont("no Unicode TrueType font (install fonts-dejavu-core) to print Vietnamese in a PDF")
    return fonts


def outreach_pdf(unit, rows: list[dict], day: dt.date, show) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = _fonts()
    body = ParagraphStyle("b", fontName=font, fontSize=8, leading=10)
    head = ParagraphStyle("h", fontName=bold, fontSize=13, leading=16)
    sub = ParagraphStyle("s", fontName=bold, fontSize=10, leading=13, spaceBefore=6)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=10 * mm,
                            title=f"Danh sách cần mở tài khoản – {unit.name}")
    # Every user string goes through para_text: Paragraph reads its text as markup.
    story = [Paragraph(para_text(f"DANH SÁCH ĐỐI TƯỢNG CẦN MỞ/HOÀN THIỆN TÀI KHOẢN – {unit.name.upper()}"), head),
             Paragraph(f"Tính đến ngày {day:%d/%m/%Y}: {vn_number(len(rows))} người. Mang theo: căn cước gắn chip; "
                       "nếu ủy quyền, căn cước và giấy ủy quyền của người được ủy quyền.", body),
             Spacer(1, 4 * mm)]
    widths = [w * mm for w in (9, 48, 20, 26, 22, 45, 70, 37)]
    i = 0
    for village, items in group_by_village(rows):
        story.append(Paragraph(para_text(f"Thôn/bản: {village or '(chưa ghi)'} – {vn_number(len(items))} người"), sub))
        data = [[Paragraph(h, ParagraphStyle("th", parent=body, fontName=bold)) for h in
                 ("STT", "Họ và tên", "Ngày sinh", "Số định danh", "Điện thoại", "Còn thiếu", "Cần mang theo",
                  "Người được ủy quyền")]]
        for r in items:
            i += 1
            cells = _row(i, r, show)
            data.append([Paragraph(para_text(c), body) for c in (cells[0], *cells[2:])])
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(t)
    if not rows:
        story.append(Paragraph("Không còn ai thiếu tài khoản.", body))
    doc.build(story)
    return buf.getvalue()
