"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): the complaints app's
scoped models, a row of commune `b` whose texts carry the matrix MARKER."""
from __future__ import annotations

import datetime as dt

MARKER = "Zqxmarkerb"


def _keys(b):
    return {"scope_commune": b, "province_code": b.province_code}


def _posting(b, i):
    from ansinh.complaints.models import Posting
    from tests.payroll.scope_factories import _line

    line = _line(b, 1500 + i)
    return Posting.objects.create(run=line.run, token=f"{MARKER}-token-{b.pk}-{i}", starts=dt.date(2026, 2, 12),
                                  ends=dt.date(2026, 2, 13), **_keys(b))


def _case(b, i):
    from ansinh.complaints.models import Case
    from tests.payroll.scope_factories import _line

    line = _line(b, 950 + i)
    return Case.objects.create(code=f"Z{b.pk % 1000:03d}{i:06d}"[:12], kind="complaint", channel="phone",
                               category="amount", complainant_kind="other", complainant_name=f"{MARKER} sender {i}",
                               complainant_contact=f"{MARKER} 0912", person=line.person, line=line,
                               officer_name=f"{MARKER} officer", text=f"{MARKER} complaint {i}",
                               sensitive=f"{MARKER} HIV", received_on=dt.date(2026, 1, 9),
                               due_accept=dt.date(2026, 1, 19), due_decide=dt.date(2026, 2, 23),
                               decision=f"{MARKER} decision", **_decided(i), **_keys(b))


def _decided(i):
    """Every other case decided, with its document (the decision .docx and the notice routes serve it)."""
    if i % 2:
        return {}
    return {"status": "decided", "accepted_on": dt.date(2026, 1, 12), "decided_on": dt.date(2026, 2, 2),
            "outcome": "partly", "decision_number": 5 + i % 90, "decision_symbol": "QĐ-UBND",
            "decision_date": dt.date(2026, 2, 2), "decider_title": "Chủ tịch Ủy ban nhân dân xã",
            "signer_name": f"{MARKER} signer"}


def _event(b, i):
    from ansinh.complaints.models import Event

    return Event.objects.create(case=_case(b, 100 + i), action="received", note=f"{MARKER} note {i}", **_keys(b))


def _attachment(b, i):
    from django.core.files.base import ContentFile

    from ansinh.complaints.models import Attachment

    a = Attachment(case=_case(b, 200 + i), name=f"{MARKER}-{i}.pdf", **_keys(b))
    a.file.save(f"matrix-{b.pk}-{i}.pdf", ContentFile(b"%PDF-1.4\n% " + MARKER.encode() + b"\n"), save=True)
    return a


def _hold(b, i):
    from ansinh.complaints.models import LineHold
    from ansinh.core.services import upsert_user

    case = _case(b, 300 + i)
    user = upsert_user(f"matrix-holder-{b.pk}-{i}", None, roles=["commune_officer"], unit_codes=[b.code])
    return LineHold.objects.create(case=case, line=case.line, period_month="2024-01", held_by=user, **_keys(b))


FACTORIES = {
    "complaints.Case": _case,
    "complaints.Event": _event,
    "complaints.Attachment": _attachment,
    "complaints.LineHold": _hold,
    "complaints.Posting": _posting,
}
