"""The printable posting of a commune's list (Decree 20/2021 Art. 8: posted for 2 working days at
the commune's office and the village cultural houses; objections are recorded as feedback):
one PDF per commune or per village, with only what may be posted (name, village, category in
posted words, amount), the posting period and a QR code that opens the public feedback page."""
from __future__ import annotations

import io

from ansinh.complaints.models import Posting
from ansinh.complaints.selectors import posting_rows
from ansinh.core.pdf import para_text, unicode_fonts
from ansinh.formats import vn_number


class NoFont(RuntimeError):
    pass


def qr_png(url: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()


def posting_pdf(posting: Posting, public_url: str, village: str | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fonts = unicode_fonts()
    if fonts is None:
        raise NoFont("no Unicode TrueType font (install fonts-dejavu-core) to print Vietnamese in a PDF")
    font, bold = fonts
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=11)
    th = ParagraphStyle("th", parent=body, fontName=bold)
    head = ParagraphStyle("h", fontName=bold, fontSize=13, leading=16, alignment=1)
    centre = ParagraphStyle("c", parent=body, alignment=1)
    rows = posting_rows(posting, village)
    commune = posting.scope_commune.name if posting.scope_commune else ""
    month = f"{posting.run.period[5:7]}/{posting.run.period[:4]}"
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"Danh sách niêm yết – {commune}")
    where = commune + (f" – thôn/bản {village}" if village else "")
    story = [
        Paragraph(para_text("DANH SÁCH NIÊM YẾT CÔNG KHAI"), head),
        Paragraph(para_text(f"Đối tượng hưởng trợ giúp xã hội – {where} – tháng {month}"), centre),
        Paragraph(para_text(f"Niêm yết từ ngày {posting.starts:%d/%m/%Y} đến hết ngày {posting.ends:%d/%m/%Y} "
                            "(02 ngày làm việc) tại trụ sở UBND xã và nhà văn hóa thôn, bản."), centre),
        Spacer(1, 4 * mm),
    ]
    data = [[Paragraph(h, th) for h in ("STT", "Họ và tên", "Thôn/bản", "Diện hưởng", "Số tiền (đồng)")]]
    total = 0
    for i, r in enumerate(rows, 1):
        total += r["amount"]
        data.append([Paragraph(str(i), body), Paragraph(para_text(r["name"]), body),
                     Paragraph(para_text(r["village"]), body), Paragraph(para_text(r["category"]), body),
                     Paragraph(vn_number(r["amount"]), body)])
    data.append([Paragraph("", body), Paragraph(para_text(f"Cộng: {vn_number(len(rows))} người"), th),
                 Paragraph("", body), Paragraph("", body), Paragraph(vn_number(total), th)])
    t = Table(data, colWidths=[w * mm for w in (12, 55, 35, 48, 25)], repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                           ("ALIGN", (4, 1), (4, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [t, Spacer(1, 6 * mm)]
    qr = Image(io.BytesIO(qr_png(public_url)), width=32 * mm, height=32 * mm)
    note = Paragraph(para_text(
        "Mọi ý kiến về danh sách (thiếu người, sai người, sai số tiền) xin gửi UBND xã trong thời gian niêm yết: "
        "trực tiếp tại xã, qua trưởng thôn, hoặc quét mã QR bên cạnh để gửi ý kiến trực tuyến (không cần đăng nhập). "
        "Người gửi nhận một mã tra cứu để theo dõi kết quả.\n" + public_url), body)
    story.append(Table([[qr, note]], colWidths=[36 * mm, 139 * mm],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")])))
    doc.build(story)
    return buf.getvalue()
