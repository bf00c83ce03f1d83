"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): the reports app's
scoped model, a kept report of commune `b`."""
from __future__ import annotations

import hashlib

MARKER = "Zqxmarkerb"  # tests/core/test_scope_matrix.MARKER: searched for on every page


def _kept(b, i):
    from ansinh.reports.models import KeptReport

    data = f"{MARKER} report {i}".encode()
    return KeptReport.objects.create(report="progress", period=f"2024-{i % 12 + 1:02d}", unit_code=b.code,
                                     unit_name=f"{MARKER} {b.name}", map="new", fmt="xlsx",
                                     file_name=f"{MARKER}-{i}.xlsx", content=data,
                                     sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                     figures={"unit_label": MARKER}, scope_commune=b, province_code=b.province_code)


FACTORIES = {"reports.KeptReport": _kept}
