"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): one per scoped
payroll model, each making a row of commune `b` whose texts carry the matrix MARKER."""
from __future__ import annotations

import datetime as dt

MARKER = "Zqxmarkerb"


def _person(b, i):
    from ansinh.registry.models import Person

    return Person.objects.create(full_name=f"{MARKER} Payroll {i}", name_key=f"{MARKER.upper()} PAYROLL {i}",
                                 dob=dt.date(1950, 1, 1), id_number=f"020050{800000 + i:06d}", commune=b,
                                 residence_unit=b, scope_commune=b, province_code=b.province_code)


def _run(b, i):
    from ansinh.payroll.models import PayrollRun

    return PayrollRun.objects.create(period=f"20{10 + i % 80:02d}-01", scope_commune=b,
                                     province_code=b.province_code, summary={"note": MARKER})


def _line(b, i):
    from ansinh.payroll.models import PayrollLine

    run = _run(b, 700 + i)
    return PayrollLine.objects.create(run=run, person=_person(b, 700 + i), programme="tcxh", period_month="2024-01",
                                      category="5.6-severe", amount=540_000, channel="cash", provider="VNPOST",
                                      result_reason=MARKER, scope_commune=b, province_code=b.province_code)


def _correction(b, i):
    from ansinh.core.services import upsert_user
    from ansinh.payroll.models import ResultCorrection

    line = _line(b, 300 + i)
    line.result = "paid"
    line.save(update_fields=["result"])
    user = upsert_user(f"matrix-corrector-{i}", None, roles=["approver"], unit_codes=[b.code])
    return ResultCorrection.objects.create(line=line, old_result="paid", new_result="unpaid", reason=MARKER,
                                           requested_by=user, scope_commune=b, province_code=b.province_code)


FACTORIES = {
    "payroll.PayrollRun": _run,
    "payroll.PayrollLine": _line,
    "payroll.ResultCorrection": _correction,
}


def _campaign(b, i):
    from ansinh.payroll.models import Campaign

    return Campaign.objects.create(name=f"{MARKER} Quà Tết {i}", decision_number=f"{i}/QĐ-{MARKER}",
                                   decision_date=dt.date(2024, 1, 10), reference_date=dt.date(2024, 1, 15),
                                   programmes=["tcxh"], amount=300_000, pay_from=dt.date(2024, 1, 20),
                                   pay_to=dt.date(2024, 2, 8), scope_commune=b, province_code=b.province_code)


FACTORIES["payroll.Campaign"] = _campaign


def _statement(b, i):
    from ansinh.payroll.models import StatementImport

    return StatementImport.objects.create(file_name=f"{MARKER}-{i}.sta", sha256=f"{MARKER}{i:054d}"[:64],
                                          reference=MARKER, scope_commune=b, province_code=b.province_code)


FACTORIES["payroll.StatementImport"] = _statement
