"""The beneficiary registry: persons, their enrolments in a programme, authorised persons,
payment accounts, the history of every change, import batches and data-quality issues.

Scope keys
----------
Every scoped table carries ``scope_commune`` (FK AdminUnit) and ``province_code``; its
``ScopeMeta`` points there (see ansinh.core.scope). For a person ``scope_commune`` is the
current commune when the residence resolved to one; when it did not (a commune split
in 2025: ambiguous until a person chooses; or not found) it is the unit as written
(old-map commune) or the commune of the list it came from. The succession expansion
of the scope then lets the officers of every successor commune see it, which a null
current commune would not. Child rows (enrolments, issues, history) copy the person's
keys; services keep them in step.

Writes go through the registry's services (importing, review, routing), which keep the
history through ansinh.registry.history.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ansinh.core.crypto import (
    DecryptedTextField,
    EncryptedCharField,
    HashedFieldsMixin,
    HashedQuerySet,
    EncryptedJSONField,
    LookupHashField,
    register_column,
)
from ansinh.core.masking import FIELD_KINDS
from ansinh.core.models import ScopeKeys


class Gender(models.TextChoices):
    MALE = "M", _("Nam")
    FEMALE = "F", _("Nữ")


class DobPrecision(models.TextChoices):
    DAY = "day", _("Ngày")
    MONTH = "month", _("Tháng")
    YEAR = "year", _("Năm")


class PersonStatus(models.TextChoices):
    ALIVE = "alive", _("Còn sống")
    DECEASED = "deceased", _("Đã mất")


class Programme(models.TextChoices):
    TCXH = "tcxh", _("Trợ cấp xã hội hằng tháng (NĐ 20/2021)")
    ND176 = "nd176", _("Trợ cấp hưu trí xã hội (NĐ 176/2025)")
    ART20 = "art20", _("Hỗ trợ kinh phí chăm sóc, nuôi dưỡng (NĐ 20/2021 Điều 20)")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Đang hưởng")
    SUSPENDED = "suspended", _("Tạm dừng")
    TERMINATED = "terminated", _("Thôi hưởng")


class AccountHolder(models.TextChoices):
    BENEFICIARY = "beneficiary", _("Đối tượng")
    AUTHORISED = "authorised", _("Người được ủy quyền")


class AccountStatus(models.TextChoices):
    REGISTERED = "registered", _("Đã đăng ký")
    CONFIRMED = "confirmed", _("Ngân hàng đã xác nhận")
    ACTIVE = "active", _("Đang hoạt động")
    CLOSED = "closed", _("Đã đóng")


class AccountApproval(models.TextChoices):
    """Maker-checker on payment accounts: an account is paid into only once approved by a second
    user (ansinh.accounts.approval.approve_account); every new account starts pending."""

    PENDING = "pending", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt")
    REJECTED = "rejected", _("Bị từ chối")


class Severity(models.TextChoices):
    """What an officer must do: an error blocks paying the person right (fix it first), a warning
    asks for a check, information is a note (kept on the person, never in the review queue)."""

    ERROR = "error", _("Chặn chi trả")
    WARNING = "warning", _("Cần kiểm tra")
    INFO = "info", _("Ghi chú")


#: The review queue's order: what blocks payment first.
SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Chưa xử lý")
    FIXED = "fixed", _("Đã sửa")
    WAIVED = "waived", _("Bỏ qua")
    NOTE = "note", _("Ghi chú")  # an informational finding (severity info): not a queue item


class BatchStatus(models.TextChoices):
    DONE = "done", _("Đã nhập")


class RowOutcome(models.TextChoices):
    IMPORTED = "imported", _("Thêm mới")
    UPDATED = "updated", _("Cập nhật")
    REJECTED = "rejected", _("Bị loại")


def month_display(month: str) -> str:
    """"2024-01" -> "01/2024" (the UI shows months as mm/yyyy)."""
    return f"{month[5:7]}/{month[:4]}" if month and len(month) == 7 else (month or "")


class Person(HashedFieldsMixin, ScopeKeys):
    objects = HashedQuerySet.as_manager()  # update()/bulk_update() write the identifiers' hashes too
    # Indexed by the (province_code, scope_commune) index below.
    province_code = models.CharField(max_length=3, blank=True)
    # Identifiers are encrypted at rest (ansinh.core.crypto, decision 0025): the column holds "e1:…"
    # ciphertext; filter(id_number=x) / __in compare the keyed hash column next to it.
    id_number = EncryptedCharField(_("Số định danh"), max_length=12, null=True, blank=True,
                                   hash_field="id_number_hash")
    id_number_hash = LookupHashField(source="id_number", null=True, blank=True)
    legacy_cmnd = EncryptedCharField(_("Số CMND"), max_length=9, null=True, blank=True, hash_field="legacy_cmnd_hash")
    legacy_cmnd_hash = LookupHashField(source="legacy_cmnd", null=True, blank=True, db_index=True)
    full_name = models.CharField(_("Họ và tên"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)  # ansinh.text.fold(full_name)
    dob = models.DateField(_("Ngày sinh"), null=True, blank=True)
    dob_precision = models.CharField(max_length=5, choices=DobPrecision.choices, default=DobPrecision.DAY)
    gender = models.CharField(_("Giới tính"), max_length=1, choices=Gender.choices, null=True, blank=True)
    ethnicity = models.CharField(_("Dân tộc"), max_length=60, blank=True)
    phone = EncryptedCharField(_("Điện thoại"), max_length=15, blank=True, hash_field="phone_hash")
    phone_hash = LookupHashField(source="phone", blank=True, default="", db_index=True)
    # The unit as written in (or resolved from) the list: may be an old-map commune.
    residence_unit = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    # The current (new-map) commune; null while ambiguous (split commune) or not found.
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    village = models.CharField(_("Thôn/bản"), max_length=200, blank=True)
    address_text = models.CharField(_("Địa chỉ"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=PersonStatus.choices, default=PersonStatus.ALIVE)
    deceased_on = models.DateField(null=True, blank=True)
    # Opening position: the last month ("YYYY-MM") the previous process paid.
    paid_through = models.CharField(max_length=7, blank=True)
    # No index: written on every imported row, read only through the batch's report.
    source_batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=Q(id_number_hash__isnull=False),
                                    name="person_id_number_unique"),
        ]
        indexes = [
            models.Index(fields=["dob", "name_key"]),
            models.Index(fields=["province_code", "scope_commune"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def paid_through_display(self) -> str:
        return month_display(self.paid_through)

    @property
    def dob_display(self) -> str:
        if not self.dob:
            return ""
        if self.dob_precision == DobPrecision.YEAR:
            return f"{self.dob:%Y}"
        if self.dob_precision == DobPrecision.MONTH:
            return f"{self.dob:%m/%Y}"
        return f"{self.dob:%d/%m/%Y}"


def _month(month: str | dt.date) -> str:
    return month if isinstance(month, str) else f"{month:%Y-%m}"


def active_in_q(month: str | dt.date, prefix: str = "") -> Q:
    """The one definition of "an enrolment in force in a month" (``month`` "YYYY-MM" or any day
    of it): started by then (or no start month written), not ended before (or no end month), and
    either still active or ended with an end month (it was in force until then). ``prefix``
    names the enrolment from another model ("enrolments__"). ``active_in_sql`` is the same
    condition in SQL, for set-based statements."""
    m, p = _month(month), prefix
    return ((Q(**{f"{p}start_month": ""}) | Q(**{f"{p}start_month__lte": m}))
            & (Q(**{f"{p}end_month": ""}) | Q(**{f"{p}end_month__gte": m}))
            & (Q(**{f"{p}status": EnrolmentStatus.ACTIVE}) | ~Q(**{f"{p}end_month": ""})))


def active_in_sql(month_sql: str, alias: str = "e") -> str:
    """``active_in_q`` as a SQL condition on ``registry_enrolment`` rows named ``alias``, for the
    month given by the SQL expression ``month_sql`` (a "YYYY-MM" text column, or a placeholder:
    it appears more than once, so pass its parameter once per occurrence).
    tests/registry_db/test_active_in.py checks it selects exactly what ``active_in`` selects."""
    e, m = alias, month_sql
    return (f"(({e}.start_month = '' OR {e}.start_month <= {m})"
            f" AND ({e}.end_month = '' OR {e}.end_month >= {m})"
            f" AND ({e}.status = '{EnrolmentStatus.ACTIVE.value}' OR {e}.end_month <> ''))")


class EnrolmentQuerySet(models.QuerySet):
    def active_in(self, month: str | dt.date) -> "EnrolmentQuerySet":
        """Enrolments in force in ``month`` (see ``active_in_q``), like ``UnitQuerySet.valid_on``."""
        return self.filter(active_in_q(month))


class Enrolment(ScopeKeys):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrolments")
    programme = models.CharField(max_length=10, choices=Programme.choices, default=Programme.TCXH)
    category = models.CharField(max_length=40, blank=True)  # ansinh.registry.categories code; "" = unmapped
    category_label = models.CharField(max_length=300, blank=True)  # as written in the list
    sub_case = models.CharField(max_length=20, blank=True)
    coefficient = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    amount = models.PositiveIntegerField(null=True, blank=True)  # VND as written in the list
    decision_number = models.CharField(max_length=100, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    start_month = models.CharField(max_length=7, blank=True)
    end_month = models.CharField(max_length=7, blank=True)
    status = models.CharField(max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    # No index: written on every imported row, read only through the batch's report.
    source_batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["person_id", "programme", "category"]
        # the few enrolments whose category was not recognised: every run looks them up to hold them
        # (payroll/unmapped.py), without reading a province's enrolments
        indexes = [models.Index(fields=["person"], condition=Q(category=""), name="registry_enrolment_unmapped")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.programme} {self.category or self.category_label}"


class AuthorisedPerson(HashedFieldsMixin, models.Model):
    objects = HashedQuerySet.as_manager()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authorised")
    full_name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, blank=True)
    id_number = EncryptedCharField(max_length=12, blank=True, hash_field="id_number_hash")
    id_number_hash = LookupHashField(source="id_number", blank=True, default="")
    relationship = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The authorisation itself (ansinh.registry.authorised): the account in the authorised person's
    # name it lets payroll pay into, until when (after it payroll pays that account no more and a
    # review item opens), when to check it again, the signed authorisation (a path under VAR_DIR).
    account = models.ForeignKey("PaymentAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="authorisations")
    valid_until = models.DateField(_("Ủy quyền đến ngày"), null=True, blank=True)
    recheck_on = models.DateField(_("Ngày kiểm tra lại"), null=True, blank=True)
    evidence = models.CharField(max_length=300, blank=True, default="", db_default="")

    class ScopeMeta:
        commune = "person__scope_commune"
        province = "person__province_code"

    def __str__(self) -> str:
        return self.full_name


class TransferStatus(models.TextChoices):
    STOPPED = "stopped", _("Nơi cũ đã dừng, chờ nơi mới quyết định")
    ACCEPTED = "accepted", _("Nơi mới đã quyết định hưởng")


class Transfer(models.Model):
    """A beneficiary's move between communes (Decree 20/2021 Art. 9; since 07/2025 the commune
    chairman decides, ``decider`` is the ``core.Organisation`` that decides allowances there on the
    decision's day). The old commune records the move and its stop decision: it pays through the
    month of the move (``last_old_month``). The new commune records its start decision: it pays
    from the month after. Services: ansinh.registry.transfers; pure rule:
    ansinh.registry.transfer_rules. Filed under the old commune (its decision); the new commune
    reads it through ``IncomingTransfer``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="transfers")
    moved_on = models.DateField(_("Ngày chuyển đi"))
    last_old_month = models.CharField(max_length=7)  # "YYYY-MM": the old commune pays through it
    from_commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    from_province = models.CharField(max_length=3)
    to_commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    to_province = models.CharField(max_length=3)
    stop_number = models.CharField(_("Số quyết định thôi hưởng"), max_length=100)
    stop_date = models.DateField(_("Ngày quyết định thôi hưởng"))
    stop_decider = models.ForeignKey("core.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    start_number = models.CharField(_("Số quyết định hưởng"), max_length=100, blank=True)
    start_date = models.DateField(_("Ngày quyết định hưởng"), null=True, blank=True)
    start_decider = models.ForeignKey("core.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.STOPPED)
    enrolments = models.JSONField(default=list, blank=True)  # [{"id", "start_month", "end_month"}] ended here
    created = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class ScopeMeta:
        commune = "from_commune"
        province = "from_province"

    class Meta:
        ordering = ["-moved_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="stopped"), name="transfer_one_open"),
            models.CheckConstraint(condition=Q(stop_date__gte=F("moved_on")), name="transfer_stop_after_move"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.moved_on}"

    @property
    def first_new_month(self) -> str:
        from ansinh.registry.transfer_rules import next_month

        return next_month(self.last_old_month)


class IncomingTransfer(Transfer):
    """The same transfer as the new commune reads it (filed under the commune moved to)."""

    class ScopeMeta:
        commune = "to_commune"
        province = "to_province"

    class Meta:
        proxy = True


def usable_account_q(prefix: str = "") -> Q:
    """The one definition of "an account that may be paid into": approved by a second user
    (maker-checker), with a recognised provider, not closed (neither by its status nor by a
    closing date), and not blocked by a payment refused for a reason of the account (``failed_at``)
    unless approved again since (it was fixed). ``prefix`` names the account from another model
    ("accounts__").
    ``usable_account_sql`` is the same condition in SQL (payroll's generation reads it);
    tests/registry_db/test_usable_account.py checks they select the same accounts."""
    p = prefix
    return (Q(**{f"{p}approval": AccountApproval.APPROVED}) & Q(**{f"{p}provider__isnull": False})
            & ~Q(**{f"{p}provider": ""}) & ~Q(**{f"{p}status": AccountStatus.CLOSED})
            & Q(**{f"{p}closed_on__isnull": True})
            & (Q(**{f"{p}failed_at__isnull": True}) | Q(**{f"{p}approved_at__gt": F(f"{p}failed_at")})))


def usable_account_sql(alias: str = "a") -> str:
    """``usable_account_q`` as a SQL condition on ``registry_paymentaccount`` rows named ``alias``."""
    a = alias
    return (f"({a}.approval = '{AccountApproval.APPROVED.value}' AND {a}.provider IS NOT NULL"
            f" AND {a}.provider <> '' AND {a}.status <> '{AccountStatus.CLOSED.value}' AND {a}.closed_on IS NULL"
            f" AND ({a}.failed_at IS NULL OR {a}.approved_at > {a}.failed_at))")


class PaymentAccount(HashedFieldsMixin, models.Model):
    objects = HashedQuerySet.as_manager()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accounts")
    provider = models.CharField(max_length=20, null=True, blank=True)  # NAPAS BIN or code when recognised
    provider_name = models.CharField(max_length=200, blank=True)  # as written
    # Encrypted at rest (ansinh.core.crypto, decision 0025); filter(account_number=x) and __in compare the
    # keyed hash. Raw SQL copies both columns as they are (payroll's line snapshot) or joins on the hash.
    account_number = EncryptedCharField(max_length=40, hash_field="account_number_hash")
    account_number_hash = LookupHashField(source="account_number", db_index=True, default="", db_default="")
    holder = models.CharField(max_length=12, choices=AccountHolder.choices, default=AccountHolder.BENEFICIARY)
    holder_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=80, blank=True)  # "import:<batch id>", "web", ...
    created = models.DateTimeField(auto_now_add=True)
    # Life cycle (ansinh.accounts): the current status and the day each stage was reached.
    # The dates are the history: the status on any past day D is the last stage whose date
    # is <= D (closed_on ends the account; a reopened account is a new row). A null
    # registered_on means "registered when the row was created" (lists imported before
    # the dates were kept).
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.REGISTERED,
                              db_default=AccountStatus.REGISTERED)
    registered_on = models.DateField(null=True, blank=True)
    confirmed_on = models.DateField(null=True, blank=True)
    activated_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # Maker-checker: payroll pays an account only when `approval` is approved; the approver is a
    # second user (approver or province officer, scope covering the person, not `made_by`).
    # A new or changed account (any source) is pending; decisions are also in ChangeLog.
    approval = models.CharField(_("Trạng thái phê duyệt"), max_length=10, choices=AccountApproval.choices,
                                default=AccountApproval.PENDING, db_default=AccountApproval.PENDING)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)  # who created/changed it (None: CLI, migration)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)  # who approved or rejected it
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    approval_evidence = models.CharField(max_length=300, blank=True, default="", db_default="")  # path under VAR_DIR
    # A provider or the bank refused a payment to this account for a reason of the account (rejected
    # account, closed, name mismatch): when (payroll/failures.py, with an ACCOUNT_FAILED review item).
    # The account is not usable until a second user approves it again after that (it was fixed).
    failed_at = models.DateTimeField(null=True, blank=True)

    class ScopeMeta:
        commune = "person__scope_commune"
        province = "person__province_code"

    class Meta:
        indexes = [models.Index(fields=["person", "registered_on"], name="account_person_registered"),
                   # the approval queue: a small partial index (only pending rows)
                   models.Index(fields=["created"], condition=Q(approval="pending"), name="account_pending")]

    def __str__(self) -> str:
        # the last digits only: this text goes into the history ("tạo mới: …") and messages
        from ansinh.core.masking import ACCOUNT, mask

        return f"{self.provider_name or self.provider or '?'} {mask(self.account_number or '', ACCOUNT)}"

    def status_on(self, day) -> str | None:
        """The status on `day` (None: not yet registered)."""
        from ansinh.accounts.rules import status_on

        registered = self.registered_on or (self.created.date() if self.created else None)
        return status_on(day, registered, self.confirmed_on, self.activated_on, self.closed_on)


class ChangeLog(ScopeKeys):
    """One row per changed field (or per created object, field "")."""

    model = models.CharField(max_length=60)  # "registry.person"
    object_id = models.BigIntegerField()
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=60, blank=True)
    # Values of identifier fields (SECRET_HISTORY_FIELDS) are stored encrypted, read back decrypted.
    old = DecryptedTextField(blank=True)
    new = DecryptedTextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)  # users are deactivated, not deleted
    at = models.DateTimeField()
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]


#: History fields whose old and new values are identifiers (the masking kinds' fields): stored encrypted
#: ("e1:…", ansinh.core.crypto) by registry/history.py, decrypted when read (DecryptedTextField).
SECRET_HISTORY_FIELDS = tuple(FIELD_KINDS)
for _col in ("old", "new"):
    register_column("registry_changelog", _col,
                    "field IN (" + ", ".join(f"'{f}'" for f in SECRET_HISTORY_FIELDS) + ")",
                    f"registry.changelog.{_col} (identifier fields)")


class ImportBatch(ScopeKeys):
    """One imported file. `scope_commune` is the file's commune (from the title or the rows)."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    period = models.CharField(max_length=7, blank=True)
    paid_through = models.CharField(max_length=7, blank=True)
    commune_hint = models.CharField(max_length=200, blank=True)
    sheet = models.CharField(max_length=200, blank=True)
    title_lines = models.JSONField(default=list, blank=True)
    original_header = models.JSONField(default=list, blank=True)  # header rows, full width, in order
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    issues = models.JSONField(default=dict, blank=True)  # {"RULE": count}
    report = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.DONE)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def period_display(self) -> str:
        return month_display(self.period)

    @property
    def paid_through_display(self) -> str:
        return month_display(self.paid_through)


class ImportRow(models.Model):
    # Indexed by the (batch, outcome) index below.
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_set", db_index=False)
    row = models.PositiveIntegerField()  # 1-based sheet row
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    reasons = models.JSONField(default=list, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # the whole sheet row as text, original column order; encrypted at rest (it holds the row's ID and phone)
    raw = EncryptedJSONField(default=list, blank=True)

    class ScopeMeta:
        commune = "batch__scope_commune"
        province = "batch__province_code"

    class Meta:
        ordering = ["batch_id", "row"]
        indexes = [models.Index(fields=["batch", "outcome"])]


class QualityIssue(ScopeKeys):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="issues")
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.CharField(max_length=40, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    field = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)  # before/after, candidates, ...
    status = models.CharField(max_length=8, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)  # users are deactivated, not deleted
    resolved_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)  # why waived
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_id", "rule"]
        indexes = [models.Index(fields=["status", "rule"])]

    @property
    def waived_by(self):
        return self.resolved_by if self.status == IssueStatus.WAIVED else None
