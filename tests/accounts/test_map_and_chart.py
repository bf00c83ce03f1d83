"""Issue #12, map and charts: communes as approximate shapes that tile the province (no
overlap), the officer's own commune marked, and no 0 drawn where there is no data."""
from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from shapely.geometry import Polygon

from ansinh.accounts.mapshapes import cells

from .conftest import D

GRID = [(f"c{i}{j}", 21.6 + 0.05 * i + 0.01 * (j % 2), 106.5 + 0.05 * j) for i in range(6) for j in range(6)]


def _polys(shapes):
    return {k: [Polygon([(lon, lat) for lat, lon in ring]) for ring in rings] for k, rings in shapes.items()}


def test_cells_tile_without_overlap_and_contain_their_centre():
    shapes = cells(GRID)
    assert set(shapes) == {k for k, _, _ in GRID}
    polys = _polys(shapes)
    for key, lat, lon in GRID:
        from shapely.geometry import Point

        assert any(p.buffer(1e-3).contains(Point(lon, lat)) for p in polys[key]), key
    keys = sorted(polys)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            overlap = sum(pa.intersection(pb).area for pa in polys[a] for pb in polys[b])
            assert overlap < 1e-6, (a, b)


def test_cells_of_one_point_and_of_duplicate_centres():
    one = cells([("x", 21.8, 106.7)])
    assert len(one["x"]) == 1 and len(one["x"][0]) > 8  # a disc
    dup = cells([("a", 21.8, 106.7), ("b", 21.8, 106.7), ("c", 21.9, 106.8)])
    assert set(dup) == {"a", "b", "c"}  # two communes given the same centre both get a shape
    assert cells([]) == {} and cells([("n", None, None)]) == {}


@pytest.mark.django_db
def test_dashboard_map_and_chart_data(town, officer):
    from ansinh.accounts.snapshots import refresh_snapshots

    refresh_snapshots([D(2024, 3, 31), D(2024, 6, 30)])
    officer("tinh_m", "20", role="province_officer")
    officer("xa_m", town["dong_kinh"].code, role="commune_officer")
    for login, own in (("tinh_m", False), ("xa_m", True)):
        c = Client()
        assert c.login(username=login, password="Mk-thu-nghiem-2024")
        body = c.get("/accounts/?month=2024-06&map=new").content.decode()
        data = json.loads(re.search(r'<script id="map-data" type="application/json">(.*?)</script>', body, re.S)[1])
        assert data["approximate"] is True and data["own"] is own
        assert len(data["cells"]) > 50  # the whole province is drawn, not only the scope
        mine = [c for c in data["cells"] if c.get("mine")]
        assert mine and all(c["rings"] for c in data["cells"])
        if own:
            assert {c["name"] for c in mine} == {town["dong_kinh"].name}
            others = [c for c in data["cells"] if not c.get("mine")]
            assert all("share" not in c and "beneficiaries" not in c for c in others)  # no figures out of scope
        for cell in mine:
            assert (cell["share"] is None) == (cell["beneficiaries"] == 0)
        assert "Hình các xã là ước lượng" in body
        chart = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', body, re.S)[1])
        # No reconciled payroll in these months: "paid without cash" has no value (a gap), never 0.
        assert chart["paid"] and all(v is None for v in chart["paid"])
        assert all(v is None for v, n in zip(chart["share"], chart["beneficiaries"]) if n == 0)
