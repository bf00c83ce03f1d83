import datetime as dt

import pytest

from ansinh.units.loader import load_units
from ansinh.units.models import OLD_MAP_LAST_DAY, REFORM_DATE, AdminUnit, DataSource, Level, UnitSuccession

from ._source import ls_new, ls_old, ls_split, ls_whole

pytestmark = pytest.mark.django_db


def _row_counts():
    return (AdminUnit.objects.count(), UnitSuccession.objects.count(), DataSource.objects.count())


def test_country_counts():
    provinces = AdminUnit.objects.filter(level=Level.PROVINCE)
    assert provinces.filter(valid_from__isnull=True, valid_to=OLD_MAP_LAST_DAY).count() == 63
    assert provinces.filter(valid_from=REFORM_DATE, valid_to__isnull=True).count() == 34
    assert AdminUnit.objects.filter(level=Level.DISTRICT, valid_to=OLD_MAP_LAST_DAY).count() == 696
    assert AdminUnit.objects.filter(level=Level.DISTRICT, valid_from=REFORM_DATE).count() == 0
    assert AdminUnit.objects.filter(level=Level.COMMUNE, valid_to=OLD_MAP_LAST_DAY).count() == 10035
    assert AdminUnit.objects.filter(level=Level.COMMUNE, valid_from=REFORM_DATE).count() == 3321


def test_lang_son_counts():
    old_ls = AdminUnit.objects.filter(province_code="20", valid_to=OLD_MAP_LAST_DAY)
    new_ls = AdminUnit.objects.filter(province_code="20", valid_from=REFORM_DATE)
    assert old_ls.filter(level=Level.PROVINCE).count() == 1
    assert new_ls.filter(level=Level.PROVINCE).count() == 1
    assert old_ls.filter(level=Level.DISTRICT).count() == 11
    assert old_ls.filter(level=Level.COMMUNE).count() == 194 == len(ls_old())
    assert new_ls.filter(level=Level.COMMUNE).count() == 65 == len(ls_new())
    old_p = old_ls.get(level=Level.PROVINCE)
    new_p = new_ls.get(level=Level.PROVINCE)
    assert old_p.name == new_p.name == "Tỉnh Lạng Sơn"
    assert UnitSuccession.objects.filter(predecessor=old_p, successor=new_p, kind="whole").exists()
    # communes hang on districts (old map) or on the province (new map)
    assert not old_ls.filter(level=Level.COMMUNE).exclude(parent__level=Level.DISTRICT).exists()
    assert not new_ls.filter(level=Level.COMMUNE).exclude(parent=new_p).exists()


def test_reused_code_05977_is_two_units():
    units = {u.valid_from: u for u in AdminUnit.objects.filter(code="05977", level=Level.COMMUNE)}
    assert set(units) == {None, REFORM_DATE}
    old, new = units[None], units[REFORM_DATE]
    assert (old.name, old.short_name, old.kind) == ("Phường Vĩnh Trại", "Vĩnh Trại", "Phường")
    assert old.valid_to == dt.date(2025, 6, 30) and old.parent.name == "Thành phố Lạng Sơn"
    assert (new.name, new.valid_to, new.parent.name) == ("Phường Đông Kinh", None, "Tỉnh Lạng Sơn")
    assert old.name_key == "VINH TRAI" and new.name_key == "DONG KINH"
    assert old.valid_on(dt.date(2025, 6, 30)) and not old.valid_on(REFORM_DATE)
    assert new.valid_on(REFORM_DATE) and not new.valid_on(dt.date(2025, 6, 30))
    # Vĩnh Trại went whole into Đông Kinh (which also took the old Phường Đông Kinh, another code)
    succ = UnitSuccession.objects.get(predecessor=old)
    assert succ.successor == new and succ.kind == "whole" and succ.effective == REFORM_DATE
    preds = set(UnitSuccession.objects.filter(successor=new).values_list("predecessor__name", flat=True))
    assert {"Phường Vĩnh Trại", "Phường Đông Kinh"} <= preds


def test_every_old_commune_has_successors():
    old = AdminUnit.objects.filter(level=Level.COMMUNE, valid_to=OLD_MAP_LAST_DAY)
    assert not old.filter(successions__isnull=True).exists()
    ls = old.filter(province_code="20")
    whole = ls.filter(successions__kind="whole").distinct().count()
    split = ls.filter(successions__kind="split").distinct().count()
    assert (whole, split) == (len(ls_whole()), len(ls_split())) == (191, 3)


def test_lang_son_splits_match_source():
    for _comp, (old_row, new_rows) in ls_split().items():
        old = AdminUnit.objects.get(code=old_row["wardCode"], level=Level.COMMUNE, valid_from__isnull=True)
        succ = list(UnitSuccession.objects.filter(predecessor=old).order_by("-is_default", "successor__code"))
        assert [s.kind for s in succ] == ["split"] * len(new_rows)
        assert [s.successor.code for s in succ][0] == new_rows[0]["wardCode"]  # the default one
        assert {s.successor.code for s in succ} == {r["wardCode"] for r in new_rows}
        assert sum(s.is_default for s in succ) == 1


def test_short_names_are_clean():
    # the package writes "Chi Lăng (Thị trấn)" to tell it from "Xã Chi Lăng"
    assert not AdminUnit.objects.filter(short_name__contains="(").exists()
    tt = AdminUnit.objects.get(name="Thị trấn Chi Lăng", valid_from__isnull=True)
    assert tt.short_name == "Chi Lăng" and tt.name_key == "CHI LANG"


def test_data_source_recorded():
    ds = DataSource.objects.get(name="vietnamadminunits")
    assert ds.version == "1.0.4" and len(ds.checksum) == 64
    assert ds.counts["communes_old"] == 10035 and ds.counts["problems"] == []


def test_load_is_idempotent():
    before = _row_counts()
    result = load_units()
    assert result["changed"] is False
    assert result["communes_new"] == 3321
    assert _row_counts() == before


def test_reload_of_a_changed_source_updates_in_place():
    before = _row_counts()
    ids = set(AdminUnit.objects.values_list("id", flat=True))
    DataSource.objects.filter(name="vietnamadminunits").update(checksum="0" * 64)
    result = load_units()
    assert result["changed"] is True
    assert result["units_created"] == result["units_updated"] == 0
    assert result["successions_created"] == result["successions_deleted"] == 0
    assert _row_counts() == before
    assert set(AdminUnit.objects.values_list("id", flat=True)) == ids
    assert load_units()["changed"] is False
