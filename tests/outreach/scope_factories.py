"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): one per scoped
outreach model, each making a row of commune `b` whose texts carry the matrix MARKER."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

MARKER = "Zqxmarkerb"


def _org(b, i):
    from ansinh.core.models import Organisation, OrgKind

    return Organisation.objects.create(name=f"{MARKER} office {b.pk}-{i}", kind=OrgKind.CULTURE_OFFICE, unit=b,
                                       province_code=b.province_code, symbol="VHXH")


def _directive(b, i):
    from ansinh.outreach.models import Directive

    return Directive.objects.create(organisation=_org(b, 1000 + i), symbol=f"{MARKER}-VHXH",
                                    subject=f"{MARKER} subject {i}", body=f"{MARKER} body",
                                    scope_commune=b, province_code=b.province_code)


def _attachment(b, i):
    from ansinh.outreach.models import Attachment

    return Attachment.objects.create(directive=_directive(b, 100 + i), title=f"{MARKER} attachment",
                                     file=f"outreach/attachments/{MARKER}-{i}.pdf")


def _task(b, i):
    from ansinh.outreach.models import Task

    d = _directive(b, 200 + i)
    d.status = "issued"  # issued, not published: published directives are public to everyone by design
    d.save(update_fields=["status"])
    return Task.objects.create(directive=d, recipient=_org(b, 2000 + i), description=f"{MARKER} task {i}",
                               due_date=dt.date(2024, 3, 1), scope_commune=b, province_code=b.province_code)


def _report(b, i):
    from ansinh.outreach.models import Report

    t = _task(b, 300 + i)
    return Report.objects.create(task=t, organisation=t.recipient, submitted_at=timezone.now(),
                                 period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 28),
                                 articles=3, notes=f"{MARKER} report", scope_commune=b,
                                 province_code=b.province_code)


def _evidence(b, i):
    from ansinh.outreach.models import Evidence

    return Evidence.objects.create(report=_report(b, 400 + i), name=f"{MARKER}-{i}.png",
                                   file=f"outreach/evidence/{MARKER}-{i}.png", content_type="image/png")


FACTORIES = {
    "outreach.Directive": _directive,
    "outreach.Attachment": _attachment,
    "outreach.Task": _task,
    "outreach.Report": _report,
    "outreach.Evidence": _evidence,
}
