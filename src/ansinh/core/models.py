"""Organisations, user profiles (organisation, roles, scope) and background jobs."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScopeKeys(models.Model):
    """The scope keys of a row that holds beneficiary data: the commune it is filed under and
    its province code (see ansinh.core.scope). Inherit to get both fields and the ScopeMeta."""

    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    province_code = models.CharField(max_length=3, blank=True, db_index=True)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        abstract = True


class Role(models.TextChoices):
    COMMUNE_OFFICER = "commune_officer", _("Cán bộ xã")
    PROVINCE_OFFICER = "province_officer", _("Cán bộ tỉnh")
    APPROVER = "approver", _("Người phê duyệt")
    AUDITOR = "auditor", _("Kiểm toán/thanh tra")
    OUTREACH = "outreach", _("Đơn vị truyền thông")
    ADMIN = "admin", _("Quản trị")
    # The service users of machine clients (ansinh.interop): never a person's role, no password.
    PROVIDER_CLIENT = "provider_client", _("Hệ thống tổ chức chi trả")
    AGENCY_CLIENT = "agency_client", _("Hệ thống cơ quan khác")


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", _("Sở/ban/ngành")
    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    NEWSPAPER = "newspaper", _("Báo")
    BROADCASTER = "broadcaster", _("Đài phát thanh - truyền hình")
    CULTURE_OFFICE = "culture_office", _("Phòng/trung tâm văn hóa")
    COMMUNE_RADIO = "commune_radio", _("Đài truyền thanh xã")
    PAYMENT_PROVIDER = "payment_provider", _("Tổ chức dịch vụ chi trả")
    POLICE = "police", _("Công an")
    OTHER = "other", _("Khác")


class Organisation(models.Model):
    """Any body that acts in the system. Who decides what is data (`functions`), not code:
    since 2025-03-01 social protection sits with the provincial Department of Health and
    since 2025-07-01 the commune chairman decides allowances."""

    name = models.CharField(max_length=255)
    short_name = models.CharField(max_length=80, blank=True)
    symbol = models.CharField(max_length=40, blank=True)  # document symbol, e.g. "SYT", "UBND"
    kind = models.CharField(max_length=30, choices=OrgKind.choices)
    unit = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="organisations")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    functions = models.JSONField(default=list, blank=True)  # e.g. ["decides_allowance", "social_protection"]
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    province_code = models.CharField(max_length=3, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="members")
    # The units this user may see: provinces (everything in them) or communes.
    scope_units = models.ManyToManyField("units.AdminUnit", blank=True, related_name="+")
    full_name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.full_name or self.user.get_username()


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang chạy")
    SUCCEEDED = "succeeded", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


class Job(models.Model):
    """A long-running piece of work (import, matching, payroll) and its progress.

    The work itself runs as a django-tasks task (database backend) or in-process from
    the CLI; both report progress through ansinh.core.jobs.Progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Scope keys: who may see this job (see ansinh.core.scope).
    province_code = models.CharField(max_length=3, blank=True, db_index=True)
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class ScopeMeta:
        commune = "commune"
        province = "province_code"

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class ServedProvince(models.Model):
    """A province this installation serves: the one row that says so (``ansinh init --province 04``
    makes a Cao Bằng installation; the demo serves its own). Read only through
    ``ansinh.core.selectors.served_provinces`` / ``installation_province`` / ``province_for``.

    The province's code (stable across the 2025 reform for the provinces that kept theirs; a
    merged province's old code is reached through the unit succession like any scope)."""

    code = models.CharField(_("Mã tỉnh"), max_length=3, unique=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
