"""Campaign data: coverage targets (reference data) and the monthly coverage snapshot.

Payment accounts themselves live in the registry (ansinh.registry.models.PaymentAccount:
status and stage dates added by registry migration 0002).

CoverageSnapshot is a materialised aggregate: for each day computed (the last day of every
month since 2024-01, and "today"), one row per (residence unit, current commune, scope
commune) with the counts of active beneficiaries, of those with an account registered (or
better) and of those with a confirmed (or active) account on that day. The dashboard reads
only these few thousand rows, so its time is independent of the number of persons; the
exact-date selector (CLI, API, a date that is not a month end) computes live.
`ansinh.accounts.snapshots.refresh_snapshots()` rebuilds it: on PostgreSQL by one set-based
INSERT … SELECT for every day at once (each person's days as the bits of a bigint; also
writes CoverageVillage, the same counts by village); elsewhere up to 200,000 persons by one
scan of persons/enrolments/accounts computing every day at once (index intervals + difference
arrays), above that by one aggregated SQL query per day; all apply the selector's rules and
the tests hold them equal to the live figures. It runs from `ansinh accounts refresh`,
after a bank-list import (days from the list's earliest date) and in the demo set-up.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    """A coverage target: by `due`, between `low` and `high` per cent of active beneficiaries
    should have an account. A row with only `baseline` records the starting point.
    Scope: a commune, else a province (province_code), else everywhere."""

    province_code = models.CharField(max_length=3, blank=True)
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    due = models.DateField(_("Thời hạn"))
    low = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    baseline = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class ScopeMeta:  # a general row (no province, no commune) is read by everyone: see lists.targets_for
        commune = "commune"
        province = "province_code"

    class Meta:
        ordering = ["due", "pk"]
        constraints = [models.UniqueConstraint(fields=["province_code", "commune", "due"], name="target_unique",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return f"{self.due:%d/%m/%Y} {self.low}–{self.high}%"


class CoverageSnapshot(models.Model):
    day = models.DateField(db_index=True)
    residence_unit = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="+")
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")
    province_code = models.CharField(max_length=3, blank=True)
    beneficiaries = models.PositiveIntegerField(default=0)
    with_account = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        indexes = [models.Index(fields=["province_code", "day"], name="coverage_snap_prov_day")]


class CoverageVillage(models.Model):
    """The snapshot by village: the same counts as CoverageSnapshot, one row per (unit keys,
    village) and day, written by the PostgreSQL refresh (method "bits") in the same pass. The
    commune drill-down reads its village table from here, so it does not count a commune's
    persons one by one; without rows for a day (other methods, a day not computed) it counts live."""

    day = models.DateField()
    residence_unit = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="+")
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")
    province_code = models.CharField(max_length=3, blank=True)
    village = models.CharField(max_length=200, blank=True)
    beneficiaries = models.PositiveIntegerField(default=0)
    with_account = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        indexes = [models.Index(fields=["day", "commune"], name="coverage_village_day_commune"),
                   models.Index(fields=["day", "residence_unit"], name="coverage_village_day_res")]


class BankListImport(models.Model):
    """One bank list uploaded through the web (`ansinh accounts import` is the same service):
    the file, who sent it, its background job and its report (linked, confirmed, not found,
    rejected, holder-name mismatches sent to the review queue). Scoped to the uploader's unit."""

    file_name = models.CharField(_("Tệp"), max_length=200)
    provider = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    report = models.JSONField(default=dict, blank=True)
    scope_commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    province_code = models.CharField(max_length=3, blank=True)

    class ScopeMeta:
        commune = "scope_commune"
        province = "province_code"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class TargetChange(models.Model):
    """History of the targets: every creation, change and deletion from the targets page, with
    the values after it (before it for a deletion), who and when."""

    class Action(models.TextChoices):
        CREATE = "create", _("Thêm")
        UPDATE = "update", _("Sửa")
        DELETE = "delete", _("Xóa")

    target = models.ForeignKey(Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    due = models.DateField()
    low = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    baseline = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    province_code = models.CharField(max_length=3, blank=True)
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField()

    class ScopeMeta:
        commune = "commune"
        province = "province_code"

    class Meta:
        ordering = ["-at", "-pk"]
