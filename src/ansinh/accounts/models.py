"""Campaign data: coverage targets (reference data) and the monthly coverage snapshot.

Payment accounts themselves live in the registry (ansinh.registry.models.PaymentAccount:
status and stage dates added by registry migration 0002).

CoverageSnapshot is a materialised aggregate: for each day computed (the last day of every
month since 2024-01, and "today"), one row per (residence unit, current commune, scope
commune) with the counts of active beneficiaries, of those with an account registered (or
better) and of those with a confirmed (or active) account on that day. The dashboard reads
only these few thousand rows, so its time is independent of the number of persons; the
exact-date selector (CLI, API, a date that is not a month end) computes live.
`ansinh.accounts.services.refresh_snapshots()` rebuilds it: up to 200,000 persons by one scan
of persons/enrolments/accounts computing every day at once (index intervals + difference
arrays), above that by one aggregated SQL query per day; both apply the selector's rules
and the tests hold them equal to the live figures. It runs from `ansinh accounts refresh`,
after a bank-list import (days from the list's earliest date) and in the demo set-up.
"""
from __future__ import annotations

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
