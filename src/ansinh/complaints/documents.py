"""What a decided case produces for people outside the office:

* the decision (quyết định giải quyết khiếu nại / kết quả giải quyết) as a .docx in Decree 30/2020
  format, through the one renderer of official texts (ansinh.outreach.rendering: Letter with a title);
* a printable notice to the complainant (PDF, through ansinh.core.pdf's fonts, like the posted lists);
* an SMS / Zalo text the commune sends itself (the software sends nothing).

None of them carries an ID, phone or account number, the complainant's contact, nor the sensitive
part of a case (HIV status, disability details): they are built from named fields only, and the
officers' free texts pass through ``no_numbers`` (a run of 8 or more digits is cut to its last 4).
The pure text helpers are tested without a database."""
from __future__ import annotations

import io
import re

from ansinh.complaints import deadlines
from ansinh.complaints.models import Case, Kind, Outcome

LONG_NUMBER = re.compile(r"(?<!\d)\d{8,}(?!\d)")
SMS_MAX = 480  # three SMS segments of Vietnamese without diacritics; Zalo takes more, a text should not

OUTCOME_WORDS = {  # Art. 31.2 (the conclusion: right, partly right, wrong)
    Outcome.UPHELD: "khiếu nại là đúng",
    Outcome.PARTLY: "khiếu nại là đúng một phần",
    Outcome.REJECTED: "khiếu nại là sai (không có cơ sở)",
}
FEEDBACK_WORDS = {Outcome.UPHELD: "phản ánh là đúng", Outcome.PARTLY: "phản ánh đúng một phần",
                  Outcome.REJECTED: "phản ánh không có cơ sở"}


def no_numbers(text: str) -> str:
    """Free text with every run of 8+ digits (an ID, phone or account number) cut to "…1234"."""
    return LONG_NUMBER.sub(lambda m: "…" + m.group(0)[-4:], text or "")


def lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


def outcome_words(case: Case) -> str:
    words = FEEDBACK_WORDS if case.kind != Kind.COMPLAINT else OUTCOME_WORDS
    return words.get(case.outcome, "")


def level_words(level: int) -> str:
    return "lần hai" if level == 2 else "lần đầu"


def complainant_words(case: Case) -> str:
    return case.complainant_name or "người gửi đơn"


def issuer(case: Case) -> str:
    """"Ủy ban nhân dân xã Hồng Phong" from the decider's title ("Chủ tịch Ủy ban nhân dân xã Hồng Phong")."""
    title = case.decider_title
    if not title and case.pk is not None:
        from ansinh.complaints.services import decider_title

        title = decider_title(case)  # before the decision: who will decide
    title = title or "Chủ tịch Ủy ban nhân dân"
    return title[len("Chủ tịch "):] if title.startswith("Chủ tịch ") else title


def next_step_words(case: Case, appeal_to: str) -> str:
    """What the complainant may do next (Law on Complaints Art. 33, 7): a first decision: a
    second-level complaint within 30 days (remote 45) or the court; a second: the court."""
    if case.kind != Kind.COMPLAINT:
        return ("Nếu chưa đồng ý, ông/bà có thể gửi khiếu nại theo quy định của Luật Khiếu nại.")
    if case.level == 2:
        return ("Nếu không đồng ý với Quyết định này, người khiếu nại có quyền khởi kiện vụ án hành chính tại "
                "Tòa án theo quy định của Luật Tố tụng hành chính.")
    days = 45 if case.remote else 30
    return (f"Trong thời hạn {days} ngày kể từ ngày nhận được Quyết định này, nếu không đồng ý, người khiếu nại "
            f"có quyền khiếu nại đến {appeal_to} hoặc khởi kiện vụ án hành chính tại Tòa án theo quy định của "
            "Luật Tố tụng hành chính.")


def appeal_to(case: Case) -> str:
    """The next level's decider, as the first decision names it."""
    try:
        d = deadlines.decider_for(2, case.received_on)
    except deadlines.NoRule:
        return "cấp trên"
    return f"{d.title} {'tỉnh' if d.unit_level == 'province' else 'huyện'}"


def decision_letter(case: Case, *, province_name: str = ""):
    """The decision as a Decree 30 text (Letter with a title): header of the issuing People's
    Committee, "QUYẾT ĐỊNH / Về việc giải quyết khiếu nại (lần đầu) của …", the decider, the bases,
    the content, "QUYẾT ĐỊNH:", articles, recipients, signature."""
    from ansinh.outreach import rendering as R

    body_issuer = issuer(case)
    place = (case.scope_commune.short_name if case.scope_commune is not None and case.level == 1
             else province_name.removeprefix("Tỉnh ").removeprefix("Thành phố ")) or "…"
    who = complainant_words(case)
    is_complaint = case.kind == Kind.COMPLAINT
    what = (f"giải quyết khiếu nại {level_words(case.level)} của {who}" if is_complaint
            else f"giải quyết {lower_first(case.get_kind_display())} của {who}")
    bases = [
        "Căn cứ Luật Tổ chức chính quyền địa phương;",
        "Căn cứ Luật Khiếu nại ngày 11 tháng 11 năm 2011;" if is_complaint else
        "Căn cứ Luật Tiếp công dân ngày 25 tháng 11 năm 2013;",
    ]
    if is_complaint:
        bases.append("Căn cứ Nghị định số 124/2020/NĐ-CP ngày 19 tháng 10 năm 2020 của Chính phủ quy định chi "
                     "tiết một số điều và biện pháp thi hành Luật Khiếu nại;")
    bases.append("Căn cứ Nghị định số 20/2021/NĐ-CP ngày 15 tháng 3 năm 2021 của Chính phủ quy định chính sách "
                 "trợ giúp xã hội đối với đối tượng bảo trợ xã hội;")
    bases.append(f"Xét đơn {lower_first(case.get_kind_display())} ngày {case.received_on:%d/%m/%Y} của {who} "
                 f"(mã đơn {case.code}), thụ lý ngày {case.accepted_on:%d/%m/%Y}." if case.accepted_on else
                 f"Xét đơn {lower_first(case.get_kind_display())} ngày {case.received_on:%d/%m/%Y} của {who}.")
    if case.parent_id is not None and case.parent is not None and case.parent.decision_date:
        p = case.parent
        bases.append(f"Xét Quyết định giải quyết khiếu nại lần đầu số {R.number_symbol(p.decision_number, p.decision_symbol or 'QĐ-UBND')} "
                     f"ngày {p.decision_date:%d/%m/%Y} của {p.decider_title or 'cấp xã'}.")
    conclusion = {"upheld": "là đúng", "partly": "là đúng một phần", "rejected": "là sai (không có cơ sở)"}.get(
        case.outcome, "")
    noun = "khiếu nại" if is_complaint else lower_first(case.get_kind_display())
    body: list[str] = [
        f"1. Nội dung đơn: {no_numbers(' '.join(case.text.split()))}",
        f"2. Kết quả xác minh, giải quyết: {no_numbers(' '.join(case.decision.split()))}",
        R.Heading("QUYẾT ĐỊNH:"),
        f"Điều 1. Kết luận nội dung {noun} của {who} {conclusion}; giải quyết như nêu tại mục 2 của Quyết định này.",
        f"Điều 2. {next_step_words(case, appeal_to(case))}",
        f"Điều 3. Công chức phụ trách văn hóa - xã hội, {who} và các cơ quan, đơn vị, cá nhân có liên quan chịu "
        "trách nhiệm thi hành Quyết định này./.",
    ]
    head = case.decider_title.split(" Ủy ban")[0] if case.decider_title else "Chủ tịch"
    if case.signing_mode:
        signature = R.signature_lines(case.signing_mode, head, case.signer_title or "Phó Chủ tịch")
    else:
        signature = R.signature_lines("", head, head)
    cc = ["UBND tỉnh (để báo cáo)" if case.level == 1 else "UBND xã (để thực hiện)",
          "Thanh tra tỉnh" if case.level == 2 else "Sở Y tế (để báo cáo)"]
    return R.Letter(
        superior_body="", issuing_body=body_issuer,
        number_symbol=R.number_symbol(case.decision_number, case.decision_symbol or "QĐ-UBND"),
        subject=f"Về việc {what}", place_date=R.place_date(place, case.decision_date or case.decided_on),
        addressees=[], body=body, signature=signature, signer_name=case.signer_name, cc=cc, archive="VT, hồ sơ",
        title="QUYẾT ĐỊNH", authority=(case.decider_title or "Chủ tịch Ủy ban nhân dân").upper(), bases=bases,
        cc_first="Như Điều 3")


def decision_docx(case: Case) -> bytes:
    from ansinh.outreach.rendering import render_docx
    from ansinh.units.models import AdminUnit, Level

    prov = AdminUnit.objects.filter(code=case.province_code, level=Level.PROVINCE).order_by("-valid_from").first()
    return render_docx(decision_letter(case, province_name=prov.name if prov else ""))


# --------------------------------------------------------------------------- the complainant is told

def decision_ref(case: Case) -> str:
    from ansinh.outreach.rendering import number_symbol

    when = case.decision_date or case.decided_on
    num = f"số {number_symbol(case.decision_number, case.decision_symbol or 'QĐ-UBND')}" if case.decision_number else ""
    return " ".join(x for x in (f"Quyết định {num}".strip(), f"ngày {when:%d/%m/%Y}" if when else "") if x)


def sms_text(case: Case, status_url: str = "") -> str:
    """The text the commune sends by SMS or Zalo: who writes, the tracking code, the result, the
    decision's reference, the next step with its last day, where to see the status. Never an ID,
    phone or account number, never the sensitive part, never the decision's free text."""
    sender = issuer(case)
    if case.status == "refused":
        parts = [f"{sender}: đơn mã {case.code} của ông/bà không được thụ lý (ngày {case.refused_on:%d/%m/%Y}). "
                 "Lý do được ghi trong văn bản trả lời; ông/bà có thể đến trụ sở Ủy ban để được giải thích."]
    elif case.status == "decided":
        parts = [f"{sender}: đơn mã {case.code} của ông/bà đã được giải quyết: {outcome_words(case)} "
                 f"({decision_ref(case)})."]
        if case.kind == Kind.COMPLAINT and case.level == 1:
            due = deadlines.due_appeal(case.decided_on, case.due_decide, received=case.received_on, remote=case.remote)
            parts.append(f"Nếu không đồng ý, ông/bà có thể khiếu nại lên {appeal_to(case)} đến hết ngày "
                         f"{due:%d/%m/%Y} hoặc khởi kiện tại Tòa án.")
        elif case.kind == Kind.COMPLAINT:
            parts.append("Nếu không đồng ý, ông/bà có thể khởi kiện tại Tòa án.")
        parts.append("Mời ông/bà nhận quyết định tại trụ sở Ủy ban.")
    elif case.status == "accepted":
        parts = [f"{sender}: đơn mã {case.code} của ông/bà đã được thụ lý ngày {case.accepted_on:%d/%m/%Y}, "
                 f"hạn giải quyết {case.due_decide:%d/%m/%Y}."]
    else:
        parts = [f"{sender}: đã nhận đơn mã {case.code} của ông/bà ngày {case.received_on:%d/%m/%Y}."]
    if status_url:
        parts.append(f"Tra cứu: {status_url}")
    return no_numbers(" ".join(parts))[:SMS_MAX]


def notice_pdf(case: Case, status_url: str = "") -> bytes:
    """The printed notice to the complainant (thông báo kết quả giải quyết đơn), one A4 page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ansinh.complaints.posting import NoFont
    from ansinh.core.pdf import para_text, unicode_fonts

    fonts = unicode_fonts()
    if fonts is None:
        raise NoFont("no Unicode TrueType font (install fonts-dejavu-core) to print Vietnamese in a PDF")
    font, bold = fonts
    body = ParagraphStyle("b", fontName=font, fontSize=11, leading=15, alignment=4)
    centre = ParagraphStyle("c", parent=body, alignment=1)
    head = ParagraphStyle("h", fontName=bold, fontSize=11, leading=14, alignment=1)
    title = ParagraphStyle("t", fontName=bold, fontSize=14, leading=18, alignment=1, spaceBefore=12)
    sender = issuer(case)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=30 * mm, rightMargin=15 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=f"Thông báo – đơn {case.code}")
    header = Table([[Paragraph(para_text(sender.upper()), head),
                     Paragraph(para_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"), head)]],
                   colWidths=[65 * mm, 100 * mm], style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [header, Paragraph(para_text("THÔNG BÁO"), title),
             Paragraph(para_text(f"Kết quả giải quyết đơn mã {case.code}"), centre), Spacer(1, 6 * mm),
             Paragraph(para_text(f"Kính gửi: {complainant_words(case)}."), centre), Spacer(1, 4 * mm)]
    lines = [f"Ngày {case.received_on:%d/%m/%Y}, {sender} nhận được đơn "
             f"{lower_first(case.get_kind_display())} của ông/bà về việc: {lower_first(case.get_category_display())}."]
    for text in sms_paragraphs(case):
        lines.append(text)
    if status_url:
        lines.append(f"Ông/bà có thể xem tình trạng đơn tại {status_url} (nhập mã đơn {case.code}).")
    for text in lines:
        story += [Paragraph(para_text(no_numbers(text)), body), Spacer(1, 3 * mm)]
    today = case.decision_date or case.decided_on or case.accepted_on or case.received_on
    story += [Spacer(1, 6 * mm), Paragraph(para_text(f"{today:%d/%m/%Y}\nTM. {sender.upper()}"),
                                           ParagraphStyle("s", parent=head, leftIndent=80 * mm))]
    doc.build(story)
    return buf.getvalue()


def sms_paragraphs(case: Case) -> list[str]:
    """The notice's paragraphs after the first: what was done, the result, the next step."""
    out = []
    if case.accepted_on:
        out.append(f"Đơn được thụ lý ngày {case.accepted_on:%d/%m/%Y}; hạn giải quyết {case.due_decide:%d/%m/%Y}.")
    if case.status == "refused":
        out.append(f"Đơn không được thụ lý (ngày {case.refused_on:%d/%m/%Y}). Lý do: "
                   f"{' '.join(case.decision.split())}")
    if case.status == "decided":
        out.append(f"Kết quả: {outcome_words(case)} ({decision_ref(case)} của {case.decider_title or issuer(case)}). "
                   "Mời ông/bà đến trụ sở Ủy ban nhận bản quyết định.")
        if case.kind == Kind.COMPLAINT and case.level == 1:
            due = deadlines.due_appeal(case.decided_on, case.due_decide, received=case.received_on, remote=case.remote)
            out.append(f"Nếu không đồng ý, ông/bà có quyền khiếu nại đến {appeal_to(case)} đến hết ngày "
                       f"{due:%d/%m/%Y} (Luật Khiếu nại, Điều 33) hoặc khởi kiện vụ án hành chính tại Tòa án.")
        elif case.kind == Kind.COMPLAINT:
            out.append("Nếu không đồng ý, ông/bà có quyền khởi kiện vụ án hành chính tại Tòa án.")
    return out

