"""Outreach: the department's directives (official letters) and the recipients' reports.

A directive is issued by an organisation (usually a provincial department), numbered per
organisation and per year (Decree 30/2020: numbering restarts every year), addressed
("Kính gửi") to recipient organisations, each of which gets tasks; the recipients' users
report what they did (articles, broadcasts, loudspeakers, meetings, visits...) with
evidence files.

Scope keys
----------
Directive, Task and Report carry ``scope_commune`` + ``province_code`` (ansinh.core.scope):
the directive's province is the issuing organisation's; a task's commune is its recipient
organisation's unit when that is below province level. On top of the unit scope, users of
an outreach organisation read by organisation (``ansinh.outreach.selectors``).

Writes go through ansinh.outreach.services only.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ansinh.core.models import ScopeKeys


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ISSUED = "issued", _("Đã ban hành")
    PUBLISHED = "published", _("Đã công bố")


class SigningMode(models.TextChoices):
    NONE = "", _("Ký trực tiếp")
    KT = "KT.", _("KT. (ký thay)")
    TL = "TL.", _("TL. (thừa lệnh)")
    TM = "TM.", _("TM. (thay mặt tập thể)")
    TUQ = "TUQ.", _("TUQ. (thừa ủy quyền)")
    Q = "Q.", _("Q. (quyền)")


class Periodicity(models.TextChoices):
    ONCE = "once", _("Một lần")
    PERIODIC = "periodic", _("Định kỳ")
    ON_REQUEST = "on_request", _("Khi có yêu cầu")


class Topic(models.Model):
    """What a directive is about (data): e.g. administrative-unit arrangement."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Directive(ScopeKeys):
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("Cơ quan ban hành"))
    superior_body = models.CharField(_("Cơ quan chủ quản"), max_length=200, blank=True)  # "UBND TỈNH CAO BẰNG"
    symbol = models.CharField(_("Ký hiệu"), max_length=60)  # "STTTT-TTBCXB"
    number = models.PositiveIntegerField(_("Số"), null=True, blank=True)  # allocated when issued
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    place = models.CharField(_("Địa danh"), max_length=100, blank=True)  # the province's, see services
    date = models.DateField(_("Ngày ban hành"), null=True, blank=True)
    subject = models.CharField(_("Trích yếu (V/v …)"), max_length=500)  # without the "V/v " prefix
    body = models.TextField(_("Nội dung"), blank=True)  # paragraphs separated by blank lines
    signing_mode = models.CharField(_("Hình thức ký"), max_length=5, choices=SigningMode.choices, blank=True,
                                    default="")
    signing_authority = models.CharField(_("Chức vụ người đứng đầu"), max_length=120, blank=True)  # "GIÁM ĐỐC"
    signer_title = models.CharField(_("Chức vụ người ký"), max_length=120, blank=True)  # "PHÓ GIÁM ĐỐC"
    signer_name = models.CharField(_("Người ký"), max_length=120, blank=True)
    cc = models.JSONField(_("Nơi nhận khác"), default=list, blank=True)  # lines after "- Như trên;"
    archive = models.CharField(_("Lưu"), max_length=120, default="VT")  # "VT, TTBCXB"
    targets = models.JSONField(default=list, blank=True)  # [{"by": "2024-06-30", "low": 30, "high": 40}]
    topics = models.ManyToManyField(Topic, blank=True, related_name="directives")
    status = models.CharField(max_length=10, choices=DirectiveStatus.choices, default=DirectiveStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-number", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "number"], condition=Q(number__isnull=False),
                                    name="outreach_directive_number_per_org_year"),
        ]

    def __str__(self) -> str:
        return f"{self.number_symbol} V/v {self.subject}"

    @property
    def number_symbol(self) -> str:
        from ansinh.outreach.rendering import number_symbol

        return number_symbol(self.number, self.symbol)


class DirectiveRecipient(models.Model):
    """"Kính gửi": read only through its directive."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    addressed_as = models.CharField(max_length=255, blank=True)  # a group line, e.g. "Phòng VH&TT các huyện"
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["directive_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["directive", "organisation"],
                                               name="outreach_recipient_once")]


class ImplementedDocument(models.Model):
    """A document the directive implements ("Thực hiện Công văn số …")."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="implements")
    number_symbol = models.CharField(max_length=80)
    date = models.DateField(null=True, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["directive_id", "order", "id"]


class Attachment(models.Model):
    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=255)
    file = models.FileField(upload_to="outreach/attachments/%Y/")
    uploaded = models.DateTimeField(auto_now_add=True)

    class ScopeMeta:
        commune = "directive__scope_commune"
        province = "directive__province_code"

    class Meta:
        ordering = ["directive_id", "id"]


class Task(ScopeKeys):
    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="tasks")
    recipient = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("Đơn vị thực hiện"))
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(_("Nhiệm vụ"))
    due_date = models.DateField(_("Hạn báo cáo"), null=True, blank=True)
    periodicity = models.CharField(max_length=12, choices=Periodicity.choices, default=Periodicity.ONCE)
    period_months = models.PositiveSmallIntegerField(null=True, blank=True)  # periodic: 1 monthly, 3 quarterly
    until = models.DateField(null=True, blank=True)  # periodic: last due date

    class Meta:
        ordering = ["directive_id", "recipient__name", "id"]

    def __str__(self) -> str:
        return f"{self.recipient} — {self.description[:60]}"


# What a report counts: (field, label). Totals by topic, period and unit sum these.
METRICS = [
    ("articles", _("Tin, bài trên báo")),
    ("tv_radio_pieces", _("Phóng sự, tin phát thanh - truyền hình")),
    ("commune_broadcasts", _("Lượt phát trên đài truyền thanh xã")),
    ("broadcast_minutes", _("Số phút phát thanh")),
    ("loudspeaker_clusters", _("Cụm loa sử dụng")),
    ("banners", _("Băng rôn, khẩu hiệu")),
    ("leaflets", _("Tờ rơi")),
    ("meetings", _("Buổi họp, hội nghị")),
    ("attendees", _("Lượt người dự")),
    ("door_to_door_visits", _("Lượt đến từng hộ")),
]


class Report(ScopeKeys):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField()
    period_start = models.DateField(_("Từ ngày"))
    period_end = models.DateField(_("Đến ngày"))
    articles = models.PositiveIntegerField(default=0)
    tv_radio_pieces = models.PositiveIntegerField(default=0)
    commune_broadcasts = models.PositiveIntegerField(default=0)
    broadcast_minutes = models.PositiveIntegerField(default=0)
    loudspeaker_clusters = models.PositiveIntegerField(default=0)
    banners = models.PositiveIntegerField(default=0)
    leaflets = models.PositiveIntegerField(default=0)
    meetings = models.PositiveIntegerField(default=0)
    attendees = models.PositiveIntegerField(default=0)
    door_to_door_visits = models.PositiveIntegerField(default=0)
    notes = models.TextField(_("Nội dung khác"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]


class Evidence(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="outreach/evidence/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded = models.DateTimeField(auto_now_add=True)

    class ScopeMeta:
        commune = "report__scope_commune"
        province = "report__province_code"

    class Meta:
        ordering = ["report_id", "id"]
