import datetime as dt

import pytest

from ansinh.units.models import AdminUnit, Level
from ansinh.units.selectors import communes_of_province, old_districts, search_units, unit_history, unit_tree

pytestmark = pytest.mark.django_db

NEW = dt.date(2025, 8, 1)
OLD = dt.date(2025, 3, 1)


def test_communes_of_province_by_date():
    assert communes_of_province("20", NEW).count() == 65
    assert communes_of_province("20", OLD).count() == 194
    names = set(communes_of_province("20", NEW).values_list("name", flat=True))
    assert "Phường Kỳ Lừa" in names and "Phường Vĩnh Trại" not in names


def test_old_districts():
    ds = list(old_districts("20"))
    assert len(ds) == 11
    assert {d.name for d in ds} >= {"Thành phố Lạng Sơn", "Huyện Bình Gia", "Huyện Đình Lập"}
    assert all(d.level == Level.DISTRICT for d in ds)


def test_unit_tree_of_old_lang_son():
    qs = AdminUnit.objects.filter(province_code="20").valid_on(OLD).exclude(level=Level.PROVINCE)
    roots = unit_tree(qs)
    assert len(roots) == 11
    assert sum(len(r["children"]) for r in roots) == 194
    full = unit_tree(AdminUnit.objects.filter(province_code="20").valid_on(OLD))
    assert len(full) == 1 and full[0]["unit"].name == "Tỉnh Lạng Sơn" and len(full[0]["children"]) == 11


def test_unit_history_split_and_whole():
    hp = AdminUnit.objects.get(code="06079", level=Level.COMMUNE, valid_from__isnull=True)
    h = unit_history(hp)
    assert h["predecessors"] == []
    assert [(s["unit"].name, s["kind"], s["is_default"]) for s in h["successors"]] == [
        ("Xã Hồng Phong", "split", True), ("Xã Đồng Đăng", "split", False)]
    assert all(s["effective"] == dt.date(2025, 7, 1) for s in h["successors"])
    ky_lua = AdminUnit.objects.get(code="06187", valid_from__isnull=False)
    preds = unit_history(ky_lua)["predecessors"]
    assert "Thị trấn Cao Lộc" in {p["unit"].name for p in preds}
    assert {p["kind"] for p in preds} == {"whole"}


def test_search_units():
    res = search_units("vinh trai")
    assert res and res[0].name == "Phường Vĩnh Trại"
    res = search_units("Phường Vĩnh Trại", on=NEW)
    assert res == []
    res = search_units("05977")
    assert [u.name for u in res[:2]] == ["Phường Đông Kinh", "Phường Vĩnh Trại"]
    res = search_units("05977", on=OLD)
    assert [u.name for u in res] == ["Phường Vĩnh Trại"]
    res = search_units("Lạng Sơn", level=Level.PROVINCE)
    assert len(res) == 2 and {u.valid_from for u in res} == {None, dt.date(2025, 7, 1)}
    assert len(search_units("xa", limit=5)) == 5
    assert search_units("") == []
