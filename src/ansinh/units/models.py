"""Administrative units as versioned reference data.

A unit is identified by (code, level, valid_from), never by its code alone: the
2025 reform reused codes (05977 was Phường Vĩnh Trại until 2025-06-30 and is
Phường Đông Kinh from 2025-07-01).
"""
from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REFORM_DATE = dt.date(2025, 7, 1)
OLD_MAP_LAST_DAY = dt.date(2025, 6, 30)


class Level(models.IntegerChoices):
    PROVINCE = 1, _("Tỉnh/thành phố")
    DISTRICT = 2, _("Huyện/quận/thị xã")
    COMMUNE = 3, _("Xã/phường/thị trấn")


class UnitQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date) -> "UnitQuerySet":
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def communes(self) -> "UnitQuerySet":
        return self.filter(level=Level.COMMUNE)

    def current(self) -> "UnitQuerySet":
        return self.filter(valid_to__isnull=True)


class AdminUnit(models.Model):
    code = models.CharField(max_length=10, db_index=True)
    name = models.CharField(max_length=200)  # "Phường Vĩnh Trại"
    short_name = models.CharField(max_length=200)  # "Vĩnh Trại"
    kind = models.CharField(max_length=40)  # Tỉnh, Thành phố, Huyện, Quận, Thị xã, Xã, Phường, Thị trấn, Đặc khu
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province_code = models.CharField(max_length=3, db_index=True)
    valid_from = models.DateField(null=True, blank=True)  # null: since before our records begin
    valid_to = models.DateField(null=True, blank=True)  # null: still in force
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    name_key = models.CharField(max_length=200, db_index=True)  # ansinh.text.fold(short_name)
    source = models.CharField(max_length=80, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "level", "valid_from"], name="unit_identity",
                                    nulls_distinct=False),
        ]
        indexes = [models.Index(fields=["level", "province_code", "valid_to"])]
        ordering = ["province_code", "level", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def period_label(self) -> str:
        start = self.valid_from.strftime("%d/%m/%Y") if self.valid_from else "…"
        end = self.valid_to.strftime("%d/%m/%Y") if self.valid_to else "…"
        return f"{start} – {end}"


class SuccessionKind(models.TextChoices):
    WHOLE = "whole", _("Nhập toàn bộ")
    SPLIT = "split", _("Chia tách")


class UnitSuccession(models.Model):
    """The predecessor's territory (or part of it, when split) passed to the successor on `effective`."""

    predecessor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="successions")
    successor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="predecessions")
    effective = models.DateField()
    kind = models.CharField(max_length=10, choices=SuccessionKind.choices)
    is_default = models.BooleanField(default=False)  # the source's "main" successor of a split unit; informative only
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor", "effective"], name="succession_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective:%d/%m/%Y}, {self.kind})"


class DataSource(models.Model):
    """Which reference data set was loaded, with its version, so a refresh is traceable."""

    name = models.CharField(max_length=80, unique=True)
    version = models.CharField(max_length=40)
    loaded_at = models.DateTimeField(auto_now=True)
    checksum = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
