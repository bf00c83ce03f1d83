"""The scope mechanism: province, commune, succession expansion, fail-closed."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from ansinh.core.models import Job
from ansinh.core.scope import scope_for, scoped
from ansinh.core.services import upsert_user
from ansinh.units.models import AdminUnit, Level

pytestmark = pytest.mark.django_db


def new_commune(code: str) -> AdminUnit:
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


def old_commune(name: str, district: str) -> AdminUnit:
    return AdminUnit.objects.get(name=name, level=Level.COMMUNE, valid_to__isnull=False, parent__name=district,
                                 province_code="20")


def test_province_scope_sees_its_province_only():
    user = upsert_user("p", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    s = scope_for(user)
    assert s.province_codes == {"20"} and not s.everything
    Job.objects.create(kind="k", title="in", province_code="20")
    Job.objects.create(kind="k", title="out", province_code="01")
    assert list(scoped(Job, user).values_list("title", flat=True)) == ["in"]


def test_commune_scope_includes_predecessors_not_their_other_successors():
    # Phường Đông Kinh (new 05977) took in old Vĩnh Trại (old 05977), old Đông Kinh, Mai Pha, Yên Trạch.
    user = upsert_user("c", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["05977"])
    s = scope_for(user)
    dk = new_commune("05977")
    vinh_trai = old_commune("Phường Vĩnh Trại", "Thành phố Lạng Sơn")
    assert dk.pk in s.commune_ids and vinh_trai.pk in s.commune_ids
    assert s.province_codes == frozenset()
    # Xã Hồng Phong (old, Bình Gia) was split into new Hồng Phong and Đồng Đăng: a Đồng Đăng officer
    # sees the split predecessor but not new Hồng Phong.
    dd_user = upsert_user("dd", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["06184"])
    dd = scope_for(dd_user)
    hp_old = old_commune("Xã Hồng Phong", "Huyện Bình Gia")
    assert hp_old.pk in dd.commune_ids
    assert new_commune("06079").pk not in dd.commune_ids


def test_commune_scope_filters_rows():
    user = upsert_user("c2", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["05977"])
    Job.objects.create(kind="k", title="mine-new", commune=new_commune("05977"), province_code="20")
    Job.objects.create(kind="k", title="mine-old", commune=old_commune("Phường Vĩnh Trại", "Thành phố Lạng Sơn"),
                       province_code="20")
    Job.objects.create(kind="k", title="other", commune=new_commune("06187"), province_code="20")
    Job.objects.create(kind="k", title="province-only", province_code="20")
    assert sorted(scoped(Job, user).values_list("title", flat=True)) == ["mine-new", "mine-old"]
    assert scoped(Job, user).count() == 2


def test_no_scope_sees_nothing_and_superuser_without_scope_sees_all():
    Job.objects.create(kind="k", title="a", province_code="20")
    nobody = upsert_user("n", "Mk-thu-nghiem-2024", roles=["outreach"], unit_codes=[])
    assert scoped(Job, nobody).count() == 0
    root = get_user_model().objects.create_superuser("root", "r@example.org", "Mk-thu-nghiem-2024")
    assert scoped(Job, root).count() == Job.objects.count()


def test_unscoped_model_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    user = upsert_user("p2", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    with pytest.raises(ImproperlyConfigured):
        scoped(get_user_model(), user)


def test_covers_agrees_with_the_query_filter():
    from ansinh.core.scope import Scope

    s = Scope(province_codes=frozenset({"20"}), commune_ids=frozenset({7}))
    assert s.covers(None, "20") and s.covers(7, "") and s.covers(7, None)
    assert not s.covers(8, "19") and not s.covers(None, None)
    assert Scope(everything=True).covers(None, None)
    assert not Scope().covers(7, "20")


def test_succession_walk_has_one_home():
    """core.scope.succession_links / with_predecessors: what registry, outreach and the scope use."""
    from ansinh.core.scope import succession_links, with_predecessors
    from ansinh.registry.selectors import commune_ids_for_code
    from ansinh.units.models import UnitSuccession

    dk = new_commune("05977")
    merged = set(UnitSuccession.objects.filter(successor=dk).values_list("predecessor_id", flat=True))
    vinh_trai = old_commune("Phường Vĩnh Trại", "Thành phố Lạng Sơn")
    assert vinh_trai.pk in merged and len(merged) >= 4
    ids = with_predecessors([dk.pk])
    assert ids[0] == dk.pk and set(ids[1:]) == merged and len(ids) == len(merged) + 1
    assert sorted(commune_ids_for_code("05977")) == sorted(ids)
    assert set(ids) <= scope_for(upsert_user("c", "Mk-thu-nghiem-2024", roles=["commune_officer"],
                                             unit_codes=["05977"])).commune_ids
    assert {p: s for p, s in succession_links([dk.pk])} == {p: dk.pk for p in merged}
    # forward: the split Hồng Phong became new Hồng Phong and Đồng Đăng
    hp_old = old_commune("Xã Hồng Phong", "Huyện Bình Gia")
    became = {s for _, s in succession_links([hp_old.pk], forward=True)}
    assert {new_commune("06079").pk, new_commune("06184").pk} <= became
    assert with_predecessors([]) == [] and succession_links([]) == []
    assert commune_ids_for_code("99999") == []


def test_organisation_of_has_one_home():
    from ansinh.core.selectors import organisation_of
    from ansinh.outreach import selectors as outreach_selectors

    assert outreach_selectors.organisation_of is organisation_of
    assert organisation_of(None) is None
    from django.contrib.auth.models import AnonymousUser

    assert organisation_of(AnonymousUser()) is None
    no_profile = get_user_model().objects.create_user("np", password="Mk-thu-nghiem-2024")
    assert organisation_of(no_profile) is None
