"""Complaints (khiếu nại), denunciations (tố cáo) and feedback (kiến nghị, phản ánh), their
timeline and attachments, payroll-line holds, public postings of lists, and the dated flag of
remote and extremely difficult areas."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ansinh.core.crypto import EncryptedCharField
from ansinh.core.models import ScopeKeys


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Khiếu nại")
    DENUNCIATION = "denunciation", _("Tố cáo")
    FEEDBACK = "feedback", _("Kiến nghị, phản ánh")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("Trực tiếp tại UBND xã")
    PHONE = "phone", _("Điện thoại, đường dây nóng")
    LETTER = "letter", _("Thư, đơn gửi qua bưu điện")
    MEETING = "meeting", _("Họp dân, hội nghị ở thôn")
    ONLINE = "online", _("Trực tuyến (trang góp ý)")
    RADIO = "radio", _("Đài phát thanh (gọi điện trực tiếp)")


class Category(models.TextChoices):
    PAYMENT = "payment", _("Chưa nhận được tiền")
    AMOUNT = "amount", _("Số tiền không đúng")
    ACCOUNT = "account", _("Tài khoản nhận tiền")
    ELIGIBILITY = "eligibility", _("Diện hưởng, danh sách")
    DATA = "data", _("Thông tin cá nhân sai")
    OFFICER = "officer", _("Thái độ, việc làm của cán bộ")
    OTHER = "other", _("Khác")


class Severity(models.TextChoices):
    LOW = "low", _("Thấp")
    NORMAL = "normal", _("Bình thường")
    HIGH = "high", _("Cao (ảnh hưởng đến sinh kế)")


class Status(models.TextChoices):
    RECEIVED = "received", _("Đã tiếp nhận")
    ACCEPTED = "accepted", _("Đã thụ lý")
    REFUSED = "refused", _("Không thụ lý")
    DECIDED = "decided", _("Đã giải quyết")
    COURT = "court", _("Người khiếu nại đã khởi kiện ra Tòa án")


class ComplainantKind(models.TextChoices):
    BENEFICIARY = "beneficiary", _("Đối tượng trong danh sách")
    AUTHORISED = "authorised", _("Người được ủy quyền")
    OTHER = "other", _("Người khác")
    ANONYMOUS = "anonymous", _("Không ghi tên")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Đúng")
    PARTLY = "partly", _("Đúng một phần")
    REJECTED = "rejected", _("Sai / không có cơ sở")


class SigningMode(models.TextChoices):
    HEAD = "", _("Người đứng đầu ký")
    FOR_HEAD = "KT.", _("Cấp phó ký thay (KT.)")


class Case(ScopeKeys):
    """One complaint, denunciation or feedback. Filed under the commune that handles it. The due
    dates are computed by ansinh.complaints.deadlines when the case is received and accepted and
    stored, so lists and counts of overdue cases are plain SQL."""

    code = models.CharField(max_length=12, unique=True)  # the tracking code given to the sender
    kind = models.CharField(_("Loại"), max_length=14, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=1)  # 2 = a second-level complaint
    channel = models.CharField(_("Hình thức tiếp nhận"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("Nội dung"), max_length=12, choices=Category.choices)
    severity = models.CharField(_("Mức độ"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    complainant_kind = models.CharField(max_length=12, choices=ComplainantKind.choices)
    complainant_person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    complainant_name = models.CharField(_("Người gửi"), max_length=200, blank=True)
    # phone/address: the handler only; encrypted at rest (ansinh.core.crypto, decision 0025), never looked up
    complainant_contact = EncryptedCharField(max_length=100, blank=True)
    # subject: a person, a payroll line, a posted list, an account, an officer
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    line = models.ForeignKey("payroll.PayrollLine", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    posting = models.ForeignKey("complaints.Posting", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cases")
    account = models.ForeignKey("registry.PaymentAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    officer_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(_("Nội dung"))
    # HIV status, disability details: the handling officer and above only (rules.may_see_sensitive)
    sensitive = models.TextField(blank=True)
    complex_case = models.BooleanField(default=False)
    remote = models.BooleanField(default=False)  # the commune is a remote, extremely difficult area
    received_on = models.DateField()
    due_accept = models.DateField()
    accepted_on = models.DateField(null=True, blank=True)
    refused_on = models.DateField(null=True, blank=True)
    due_decide = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    decision = models.TextField(blank=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    # The decision document (Decree 30/2020 format, ansinh.complaints.documents): its number in the
    # issuing office's register (the office allocates it, the software records it), date and signer.
    # Who decides is data (deadlines.DECIDERS, by level and date), copied here when decided.
    decision_number = models.PositiveIntegerField(null=True, blank=True)
    decision_symbol = models.CharField(max_length=40, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    decider_title = models.CharField(max_length=200, blank=True)  # "Chủ tịch Ủy ban nhân dân xã Hồng Phong"
    signing_mode = models.CharField(max_length=5, choices=SigningMode.choices, blank=True)
    signer_title = models.CharField(max_length=120, blank=True)  # "Phó Chủ tịch" when signing for the head
    signer_name = models.CharField(max_length=120, blank=True)
    # A second-level complaint (level 2) names the first-level case it follows.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals")
    late_reason = models.CharField(max_length=500, blank=True)  # filed after Art. 33's period: the obstacle
    # The complainant sued at the administrative court (Law on Complaints Art. 7, 11): recorded, closes the case.
    court_on = models.DateField(null=True, blank=True)
    court_note = models.CharField(max_length=500, blank=True)
    # The day the commune's missed deadline was recorded as an escalation (services.escalate_overdue).
    escalated_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["province_code", "status", "due_decide"])]
        constraints = [
            models.CheckConstraint(condition=~Q(complainant_kind="anonymous") | Q(kind="feedback"),
                                   name="complaints_anonymous_feedback_only"),
        ]

    def __str__(self) -> str:
        return self.code


class Event(ScopeKeys):
    """The case's timeline: who did what, when. An escalation is recorded once per case (the
    constraint), a review opened from the case names its registry issue."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    note = models.TextField(blank=True)
    issue = models.ForeignKey("registry.QualityIssue", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(action="escalated"),
                                    name="complaints_event_escalated_once"),
        ]


class Attachment(ScopeKeys):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="complaints/%Y/%m/")
    name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class LineHold(ScopeKeys):
    """A payroll line held while a case about it is open. Placed and released through
    ansinh.payroll.holds (this app never writes payroll rows); released by a different user from
    the one who placed it (maker-checker)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="holds")
    line = models.ForeignKey("payroll.PayrollLine", null=True, on_delete=models.SET_NULL, related_name="+")
    period_month = models.CharField(max_length=7)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(released_by__isnull=True) | ~Q(released_by=models.F("held_by")),
                                   name="complaints_hold_four_eyes"),
        ]


class Posting(ScopeKeys):
    """A commune's list posted publicly (Decree 20/2021 Art. 8: 2 working days at the commune's
    office and the village cultural houses). ``token`` is the unguessable key of its public
    feedback page (the QR code)."""

    run = models.ForeignKey("payroll.PayrollRun", on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    starts = models.DateField()
    ends = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts", "-id"]


class RemoteArea(models.Model):
    """A commune that is a remote and extremely difficult area (vùng sâu, vùng xa đi lại khó
    khăn: longer complaint deadlines, Law on Complaints Art. 28 and 37), dated, with the text
    that lists it. Data, not a flag on the unit: the lists change by decision (e.g. the
    extremely-difficult-commune lists of each period) independently of the map."""

    unit = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    basis = models.CharField(max_length=300)

    class Meta:
        ordering = ["unit_id", "valid_from"]
