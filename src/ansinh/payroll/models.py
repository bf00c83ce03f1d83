"""Monthly payroll: dated rates and coefficients (data, never constants), payroll runs and
their lines.

The guard against paying twice is in the database: ``PayrollLine`` has a partial unique
index on (person, programme, period_month) over its *claiming* lines (``active``). A line
stops claiming when its run is cancelled / regenerated (rows deleted) or when the provider
reports it unpaid (the month is then carried into a later run as arrears). A check
constraint ties ``active`` to the result (pending or paid claim, unpaid does not), so a line
that is paid or waiting for payment always holds its person-month. A result is final once
recorded: changing it takes a ``ResultCorrection`` approved by a second user.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from ansinh.core.crypto import EncryptedCharField, HashedFieldsMixin, HashedQuerySet, LookupHashField
from ansinh.core.models import ScopeKeys

ALLOWANCE_PROGRAMMES = ("tcxh", "nd176")  # one monthly allowance (ansinh.payroll.entitlement)


class RateKind(models.TextChoices):
    STANDARD = "standard", _("Mức chuẩn trợ giúp xã hội")
    SOCIAL_PENSION = "social_pension", _("Mức trợ cấp hưu trí xã hội")
    FUNERAL_MULTIPLE = "funeral_multiple", _("Hệ số hỗ trợ mai táng (số lần mức chuẩn)")


class Rate(models.Model):
    """A dated amount (integer đồng) with its legal basis; province_code "" = national.
    A province override (HĐND resolution) wins over the national row for its months."""

    kind = models.CharField(_("Loại"), max_length=20, choices=RateKind.choices)
    amount = models.PositiveIntegerField(_("Số tiền / hệ số"))
    valid_from = models.DateField(_("Áp dụng từ"))
    valid_to = models.DateField(_("Áp dụng đến"), null=True, blank=True)
    province_code = models.CharField(_("Mã tỉnh"), max_length=3, blank=True)
    legal_basis = models.CharField(_("Căn cứ pháp lý"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "province_code", "valid_from"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} từ {self.valid_from:%d/%m/%Y}"


class Coefficient(models.Model):
    """Decree 20 Art. 6 / Art. 20 coefficient of a category code (ansinh.registry.categories),
    in thousandths (1.5 -> 1500), for ages in [min_age, max_age) at the paid month."""

    category = models.CharField(max_length=40, db_index=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    milli = models.PositiveIntegerField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    legal_basis = models.CharField(max_length=300)

    class Meta:
        ordering = ["category", "min_age"]


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    CHECKED = "checked", _("Đã kiểm tra")
    APPROVED = "approved", _("Đã phê duyệt")
    EXPORTED = "exported", _("Đã xuất tệp")
    RECONCILED = "reconciled", _("Đã đối soát")
    CANCELLED = "cancelled", _("Đã hủy")


class Channel(models.TextChoices):
    BANK = "bank", _("Tài khoản ngân hàng")
    EWALLET = "ewallet", _("Ví điện tử / Mobile Money")
    CASH = "cash", _("Tiền mặt tại điểm bưu điện")


class Payee(models.TextChoices):
    BENEFICIARY = "beneficiary", _("Đối tượng")
    AUTHORISED = "authorised", _("Người được ủy quyền")
    ORGANISER = "organiser", _("Người tổ chức mai táng")


class LineResult(models.TextChoices):
    PENDING = "pending", _("Chờ kết quả")
    PAID = "paid", _("Đã chi trả")
    UNPAID = "unpaid", _("Chưa chi trả")


class AmountKind(models.TextChoices):
    FIXED = "fixed", _("Một mức cho mọi người")
    PER_CATEGORY = "per_category", _("Theo diện đối tượng")
    LEVEL_MULTIPLE = "level_multiple", _("Số lần mức chuẩn trợ giúp xã hội")


CAMPAIGN_PROGRAMME = "campaign"  # the programme of a campaign's payroll lines


class Campaign(ScopeKeys):
    """A one-off payment (a Tết Nguyên đán gift from the province's budget, a national gift, an
    emergency support) as data: the decision, who is eligible on the reference date (programmes,
    categories, age, the enrolment in force then; the whole province or one commune:
    ``scope_commune``), the amount per person (fixed, per category, or × the standard level in
    force), and the pay window. Paid by runs (``PayrollRun.campaign``) under the same
    maker-checker, files and reconciliation as the monthly runs; the pure rule is
    ``ansinh.payroll.campaign_rules.campaign_due``, the set-based one ``ansinh.payroll.campaigns``."""

    name = models.CharField(_("Tên đợt chi"), max_length=200)
    decision_number = models.CharField(_("Số quyết định"), max_length=100)
    decision_date = models.DateField(_("Ngày quyết định"))
    reference_date = models.DateField(_("Ngày xét đối tượng"))
    programmes = models.JSONField(default=list)  # registry Programme values; [] = every programme
    categories = models.JSONField(default=list, blank=True)  # category codes (a code covers its sub-codes); [] = all
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)  # whole years in the reference month
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)  # exclusive
    amount_kind = models.CharField(max_length=16, choices=AmountKind.choices, default=AmountKind.FIXED)
    amount = models.PositiveIntegerField(default=0)  # đồng: fixed, or the default of per-category amounts
    category_amounts = models.JSONField(default=dict, blank=True)  # {"5.5c": 300000, ...}
    level_milli = models.PositiveIntegerField(null=True, blank=True)  # × standard level, thousandths
    pay_from = models.DateField(_("Chi từ ngày"))
    pay_to = models.DateField(_("Chi đến ngày"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reference_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_to__gte=F("pay_from")), name="payroll_campaign_window"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_multiple(self):
        """level_milli as a number (1500 -> 1.5), for the pages."""
        from decimal import Decimal

        return Decimal(self.level_milli) / 1000 if self.level_milli else None

    @property
    def period(self) -> str:
        """The month its runs are filed under (the first day of the pay window)."""
        return f"{self.pay_from:%Y-%m}"


class PayrollRun(models.Model):
    period = models.CharField(max_length=7)  # "YYYY-MM"
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    # A follow-up run pays again only the lines of this run reported unpaid (payroll.followup).
    followup_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="followups")
    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    province_code = models.CharField(max_length=3, db_index=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.DRAFT)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    generated_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    reconciliation = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        ordering = ["-period", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.period}"

    @property
    def period_display(self) -> str:
        return f"{self.period[5:7]}/{self.period[:4]}"


class PayrollLine(HashedFieldsMixin, models.Model):
    objects = HashedQuerySet.as_manager()  # update()/bulk_update() write the account number's hash too
    # No single-column indexes on run and person: (run, channel) and (person, period_month) lead
    # with them, and every index costs time on the 60,000-row INSERT of a province's run.
    # No per-row foreign-key constraints either (decision 0032): lines are only written by set-based
    # INSERT … SELECT from the rows they name, and the deferred checks of a 5,000,000-line campaign
    # cost more than its statement. Deleting a row a line names is refused by the ORM (on_delete) and,
    # on PostgreSQL, by the guard triggers of payroll migration 0012; `payroll/integrity.orphan_lines`
    # finds any line whose reference is gone (daily housekeeping, `ansinh payroll integrity`).
    run = models.ForeignKey(PayrollRun, on_delete=models.CASCADE, related_name="lines", db_index=False,
                            db_constraint=False)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)
    programme = models.CharField(max_length=10)
    period_month = models.CharField(max_length=7)  # the month the amount is for (< run.period = arrears)
    category = models.CharField(max_length=40, blank=True)  # "5.4+5.6-severe" when both are paid
    coefficient_milli = models.PositiveIntegerField(null=True, blank=True)
    level = models.PositiveIntegerField(null=True, blank=True)  # standard level applied (or fixed amount)
    amount = models.PositiveIntegerField()  # integer đồng
    channel = models.CharField(max_length=8, choices=Channel.choices)
    payee = models.CharField(max_length=12, choices=Payee.choices, default=Payee.BENEFICIARY)
    account = models.ForeignKey("registry.PaymentAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_constraint=False)
    # Snapshot of the account paid, taken at generation (provider files are written from it, so
    # a later change to the account cannot redirect a generated run): provider, number, holder.
    provider = models.CharField(max_length=20, blank=True)  # NAPAS BIN, or "VNPOST" for cash
    provider_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Encrypted at rest with its keyed hash (ansinh.core.crypto): generation copies both columns of the
    # account row as they are (INSERT…SELECT); the provider files decrypt it (payroll/files.py).
    account_number = EncryptedCharField(max_length=40, blank=True, hash_field="account_number_hash")
    account_number_hash = LookupHashField(source="account_number", blank=True, default="", db_default="")
    holder_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", db_constraint=False)
    province_code = models.CharField(max_length=3, blank=True)
    # A campaign's line (one-off payment): programme "campaign", claims (person, campaign) instead.
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    active = models.BooleanField(default=True)  # claims (person, programme, period_month)
    result = models.CharField(max_length=8, choices=LineResult.choices, default=LineResult.PENDING)
    result_reason = models.CharField(max_length=200, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    # A transfer returned by the bank after it was confirmed (a reversal on the programme account's
    # statement): the line is unpaid again (its month or campaign is free), the day is kept here.
    reversed_on = models.DateField(null=True, blank=True)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        ordering = ["run_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "programme", "period_month"],
                                    condition=Q(active=True, campaign__isnull=True), name="payroll_line_pays_once"),
            # The obligation is (person, what is owed, month): the monthly allowance is one obligation
            # whether it is paid as TCXH or as social pension (the higher is paid, never both).
            models.UniqueConstraint(F("person"), Case(When(programme__in=ALLOWANCE_PROGRAMMES, then=Value("allowance")),
                                                      default=F("programme")),
                                    F("period_month"), condition=Q(active=True, campaign__isnull=True),
                                    name="payroll_line_obligation_once"),
            # A person is paid at most once per campaign (a line reported unpaid frees it, as a month).
            models.UniqueConstraint(fields=["person", "campaign"], condition=Q(active=True, campaign__isnull=False),
                                    name="payroll_line_campaign_once"),
            # A paid or pending line claims its month, an unpaid one does not.
            models.CheckConstraint(condition=Q(active=True, result__in=["pending", "paid"])
                                   | Q(active=False, result="unpaid"),
                                   name="payroll_line_claims_unless_unpaid"),
        ]
        indexes = [models.Index(fields=["run", "channel"]), models.Index(fields=["person", "period_month"])]


class CorrectionStatus(models.TextChoices):
    REQUESTED = "requested", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt")
    REJECTED = "rejected", _("Đã từ chối")


class ResultCorrection(ScopeKeys):
    """A change to a confirmed payment result (paid -> unpaid when the provider reports a
    payment returned, unpaid -> paid when a payment reported failed did arrive). Requested by
    one user, applied only when a different user with the approver role approves it; the
    line's claim on its person-month follows the new result (the database refuses a second
    paid or pending line for the month)."""

    line = models.ForeignKey(PayrollLine, on_delete=models.CASCADE, related_name="corrections")
    old_result = models.CharField(max_length=8, choices=LineResult.choices)
    new_result = models.CharField(max_length=8, choices=LineResult.choices)
    old_reason = models.CharField(max_length=200, blank=True)
    new_reason = models.CharField(max_length=200, blank=True)  # the provider's reason code for unpaid
    paid_on = models.DateField(null=True, blank=True)  # for a correction to paid
    reason = models.CharField(_("Lý do điều chỉnh"), max_length=500)
    status = models.CharField(max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # scope keys (ScopeKeys): the line's commune and province

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["line"], condition=Q(status="requested"),
                                    name="payroll_correction_one_open_per_line"),
            models.CheckConstraint(condition=~Q(old_result=models.F("new_result")),
                                   name="payroll_correction_changes_result"),
            models.CheckConstraint(condition=~Q(new_result="pending"), name="payroll_correction_to_final"),
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                                   name="payroll_correction_four_eyes"),
            models.CheckConstraint(condition=Q(status="approved", approved_by__isnull=False)
                                   | ~Q(status="approved") & Q(approved_by__isnull=True),
                                   name="payroll_correction_approved_has_approver"),
        ]


class StatementImport(ScopeKeys):
    """One bank statement of the programme account (MT940) read against the payroll lines it
    names (ansinh.payroll.statements): debits confirm lines as paid, returned transfers reverse
    them. A statement is read once (sha256); its counts say what it changed."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=40, blank=True)  # :20:
    account = models.CharField(max_length=60, blank=True)  # :25:
    opening_vnd = models.BigIntegerField(default=0)
    closing_vnd = models.BigIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    reversed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    other = models.PositiveIntegerField(default=0)  # entries that name no payroll line (funding, fees)
    runs = models.JSONField(default=list)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
