"""Reports kept as sent: the scheduled monthly progress report (and any report an officer
keeps) is stored with its file, its sha256 and the figures it printed, so what was sent can
be shown later exactly as sent, whatever the registry says by then."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ansinh.core.models import ScopeKeys


class KeptReport(ScopeKeys):
    """One generated file. Scope keys: the report's unit (a commune: its commune; a province or an
    old district: the province code only, so commune officers do not see the province's)."""

    report = models.CharField(_("Báo cáo"), max_length=20)
    period = models.CharField(_("Kỳ báo cáo"), max_length=30)  # Period.code
    unit_code = models.CharField(max_length=10)
    unit_name = models.CharField(max_length=200)
    map = models.CharField(max_length=3)
    fmt = models.CharField(max_length=4)
    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict, blank=True)
    scheduled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["report", "period", "unit_code", "map", "fmt"],
                                               condition=models.Q(scheduled=True), name="kept_report_scheduled_once")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def period_label(self) -> str:
        from ansinh.reports.periods import parse_period

        try:
            return parse_period(self.period).label
        except ValueError:
            return self.period

    @property
    def title(self) -> str:
        """The report's name in the catalogue (a msgid: the page translates it)."""
        from ansinh.reports.selectors import catalogue

        return next((str(e.title) for e in catalogue() if e.code == self.report), self.report)
