"""Machine clients (a payment provider or another agency calling without a browser), their
keys, every call they make, and the G2P Connect disbursement messages sent to them and received
from them (decision 0024)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ansinh.core.crypto import EncryptedJSONField


class ClientKind(models.TextChoices):
    PROVIDER = "provider", _("Tổ chức dịch vụ chi trả")
    AGENCY = "agency", _("Cơ quan khác")


class Operation(models.TextChoices):
    """What a client may do (MachineClient.operations)."""
    DISBURSE = "disburse", _("Nhận lệnh chi (G2P Connect /disburse) và gửi kết quả (/on-disburse)")
    TXN_STATUS = "txn_status", _("Trả lời tra cứu trạng thái (/disburse/txn/on-status)")
    RUNS_READ = "runs_read", _("Xem các bảng chi đã gửi cho mình")
    SEARCH = "search", _("Tra cứu đối tượng theo số định danh (DCI /registry/sync/search)")


class SearchField(models.TextChoices):
    """What a search answer may tell about a person found (MachineClient.fields): a client is
    answered only the fields it is allowed (dci.py). The identifier it searched by is echoed."""
    NAME = "name", _("Họ và tên")
    BIRTH_YEAR = "birth_year", _("Năm sinh")
    BIRTH_DATE = "birth_date", _("Ngày sinh")
    SEX = "sex", _("Giới tính")
    COMMUNE = "commune", _("Xã/phường cư trú")
    ADDRESS = "address", _("Địa chỉ")
    ALIVE = "alive", _("Còn sống/đã mất")
    BENEFICIARY = "beneficiary", _("Đang hưởng trợ cấp")


class MachineClient(models.Model):
    """A system that talks to ansinh machine to machine. It acts through its own service user
    (no usable password: it cannot log in to the web), whose profile holds the client's scope
    units, so every read goes through ansinh.core.scope.scoped and every payroll write through
    payroll/access.py exactly as for a person. A provider client is sent the lines of its
    provider code (NAPAS BIN) only, and sees only the runs sent to it."""

    client_id = models.CharField(max_length=64, unique=True)  # also its G2P Connect sender_id
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ClientKind.choices)
    operations = models.JSONField(default=list)  # Operation values
    provider_code = models.CharField(max_length=20, blank=True)  # the provider's lines (NAPAS BIN)
    base_url = models.CharField(max_length=300, blank=True)  # where ansinh POSTs /disburse, /disburse/txn/status
    fields = models.JSONField(default=list, blank=True)  # SearchField values a search answer may carry
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="machine_client")
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.client_id

    def allows(self, operation: str) -> bool:
        return self.active and operation in (self.operations or [])


class ClientKey(models.Model):
    """One generation of a client's credentials: the client secret of the OAuth2 client
    credentials grant (stored as SHA-256 of a 256-bit random secret) and the ed25519 public key
    that verifies the client's G2P Connect message signatures. Rotation adds a key; the older
    ones stop working at `expires_at` (a grace period) or at once when revoked."""

    client = models.ForeignKey(MachineClient, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(max_length=40, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    public_key = models.CharField(max_length=64)  # ed25519 raw public key, base64
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client_id", "-created", "-id"]


class ApiCall(models.Model):
    """Every call of a machine client (and every refused one): who, when, what, the answer.
    No identifiers of people: the path, the operation, the message id and counts only.
    Each row is also written, whole, into the installation's hash-chained audit log
    (ansinh.interop.calls.record: action api.call), so `ansinh audit verify` covers it."""

    client = models.ForeignKey(MachineClient, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    direction = models.CharField(max_length=3, default="in")  # in: the client called us; out: we called it
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    operation = models.CharField(max_length=40, blank=True)
    status_code = models.PositiveSmallIntegerField()
    message_id = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Chờ gửi")
    ACKED = "acked", _("Đã được tiếp nhận")
    REFUSED = "refused", _("Bị từ chối")


class Disbursement(models.Model):
    """One /disburse message sent to a provider: a batch of a run's lines for that provider.
    Built once (the header's message_id, the message with its transaction_id and items are
    stored), so a retry sends the same message again: only the signature is made anew."""

    run = models.ForeignKey("payroll.PayrollRun", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(MachineClient, on_delete=models.PROTECT, related_name="disbursements")
    batch = models.PositiveIntegerField()
    transaction_id = models.CharField(max_length=99, db_index=True)
    message_id = models.CharField(max_length=100, unique=True)
    header = models.JSONField()
    # the payees' account numbers are in it: kept encrypted (ansinh.core.crypto), a dict in Python
    message = EncryptedJSONField()
    first_line_id = models.BigIntegerField()
    last_line_id = models.BigIntegerField()
    lines = models.PositiveIntegerField()
    total_vnd = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    correlation_id = models.CharField(max_length=99, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class ScopeMeta:
        commune = "run__scope_commune"
        province = "run__province_code"

    class Meta:
        ordering = ["run_id", "client_id", "batch"]
        constraints = [models.UniqueConstraint(fields=["run", "client", "batch"], name="interop_one_batch")]


class ReceivedMessage(models.Model):
    """A G2P Connect message received from a client (on-disburse, txn/on-status): its message_id
    is taken once per client (a replay with the same id and digest is answered as the first time
    and changes nothing; with another digest it is refused)."""

    client = models.ForeignKey(MachineClient, on_delete=models.PROTECT, related_name="received")
    message_id = models.CharField(max_length=100)
    action = models.CharField(max_length=30)
    digest = models.CharField(max_length=100)
    run = models.ForeignKey("payroll.PayrollRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    items = models.PositiveIntegerField(default=0)
    marked = models.PositiveIntegerField(default=0)  # lines given a final result by this message
    duplicates = models.PositiveIntegerField(default=0)  # final statuses already recorded (same result)
    conflicts = models.JSONField(default=list)  # line ids reported with another final result than recorded
    ack = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "message_id"], name="interop_message_once")]
        indexes = [models.Index(fields=["client", "received_at"])]




def active_key_q(now) -> Q:
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
