"""Cross-commune duplicate pairs (issue 11, item 2): a pair is visible and decidable only by
a user whose scope covers both persons; a commune officer can neither see the other
commune's person nor stop their enrolment; the province sees and decides the pair."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.core.jobs import BadInput
from ansinh.core.services import upsert_user
from ansinh.matching import selectors, services
from ansinh.matching.models import IdProposal, MatchPair, MatchRun, PairStatus, ProposalStatus
from ansinh.registry.models import Enrolment, EnrolmentStatus, Person
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

pytestmark = pytest.mark.django_db

DONG_KINH, KY_LUA, PROVINCE = "05977", "06187", "20"
NAME_A, NAME_B = "Vi Văn Đôngkinh", "Vi Văn Kỳlừa"


def commune(code):
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


def person(name, unit, **kw):
    p = Person.objects.create(full_name=name, name_key=fold(name), scope_commune=unit, commune=unit,
                              residence_unit=unit, province_code=unit.province_code, **kw)
    Enrolment.objects.create(person=p, category="5.5c", start_month="2024-01", scope_commune=unit,
                             province_code=unit.province_code)
    return p


@pytest.fixture
def cross_pair():
    """A pair as the dedupe run stored it on 99e5316: A in Đông Kinh, B in Kỳ Lừa, filed
    under A's keys."""
    a, b = commune(DONG_KINH), commune(KY_LUA)
    pa, pb = person(NAME_A, a), person(NAME_B, b)
    return MatchPair.objects.create(run=MatchRun.objects.create(), person_a=pa, person_b=pb, cluster=pa.pk,
                                    match_probability=0.98, match_weight=11.0, contributions={"given": 3.0},
                                    scope_commune=a, province_code=a.province_code)


def login(username, role, unit):
    upsert_user(username, "Mk-thu-nghiem-2024", roles=[role], unit_codes=[unit])
    c = Client()
    assert c.login(username=username, password="Mk-thu-nghiem-2024")
    return c


def test_commune_officer_does_not_see_a_pair_whose_other_person_is_in_another_commune(cross_pair):
    for username, unit in (("xa_dk", DONG_KINH), ("xa_kl", KY_LUA)):  # neither commune, whichever side
        c = login(username, "commune_officer", unit)
        for status in ("open", "all"):
            body = c.get(f"/matching/?status={status}").content.decode()
            assert NAME_A not in body and NAME_B not in body
            assert "0 cặp" in body  # the count uses the same filter
        assert c.get(f"/matching/pairs/{cross_pair.pk}/").status_code == 404
        assert c.post(f"/matching/pairs/{cross_pair.pk}/decide/", {"action": "keep_a"}).status_code == 404
        assert c.post(f"/matching/pairs/{cross_pair.pk}/decide/", {"action": "keep_b"}).status_code == 404
        assert c.get("/api/matching/pairs?status=all").json() == []
    assert Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE).count() == 2


def test_commune_officer_cannot_decide_a_cross_commune_pair_in_the_service(cross_pair):
    officer = upsert_user("xa_dk", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[DONG_KINH])
    assert not selectors.pairs(officer, None).exists()
    for keep in ("a", "b"):
        with pytest.raises(BadInput) as exc:
            services.confirm_pair(cross_pair, officer, keep=keep)
        assert "ngoài phạm vi" in str(exc.value) and NAME_B not in str(exc.value)
    with pytest.raises(BadInput):
        services.reject_pair(cross_pair, officer)
    cross_pair.refresh_from_db()
    assert cross_pair.status == PairStatus.OPEN and cross_pair.decided_by is None
    assert Enrolment.objects.get(person=cross_pair.person_b).status == EnrolmentStatus.ACTIVE
    assert Enrolment.objects.get(person=cross_pair.person_a).status == EnrolmentStatus.ACTIVE


def test_province_officer_sees_and_decides_a_cross_commune_pair(cross_pair):
    c = login("tinh", "province_officer", PROVINCE)
    body = c.get("/matching/").content.decode()
    assert NAME_A in body and NAME_B in body and "1 cặp" in body
    assert [p["id"] for p in c.get("/api/matching/pairs").json()] == [cross_pair.pk]
    assert c.get(f"/matching/pairs/{cross_pair.pk}/").status_code == 200
    assert c.post(f"/matching/pairs/{cross_pair.pk}/decide/", {"action": "keep_a"}).status_code == 302
    cross_pair.refresh_from_db()
    assert cross_pair.status == PairStatus.CONFIRMED
    assert Enrolment.objects.get(person=cross_pair.person_b).status == EnrolmentStatus.TERMINATED
    assert Enrolment.objects.get(person=cross_pair.person_a).status == EnrolmentStatus.ACTIVE


def test_commune_officer_still_decides_a_pair_within_the_commune():
    a = commune(DONG_KINH)
    p1, p2 = person(NAME_A, a), person(NAME_A + " Hai", a)
    pair = MatchPair.objects.create(run=MatchRun.objects.create(), person_a=p1, person_b=p2, cluster=p1.pk,
                                    match_probability=0.98, match_weight=11.0, scope_commune=a,
                                    province_code=a.province_code)
    c = login("xa_dk", "commune_officer", DONG_KINH)
    assert [p["id"] for p in c.get("/api/matching/pairs").json()] == [pair.pk]
    assert c.post(f"/matching/pairs/{pair.pk}/decide/", {"action": "keep_a"}).status_code == 302
    assert Enrolment.objects.get(person=p2).status == EnrolmentStatus.TERMINATED


def test_a_pair_follows_its_persons_when_one_moves(cross_pair):
    """Visibility reads both persons' current keys: once B's person is filed under Đông
    Kinh, Đông Kinh's officer covers both; filed elsewhere again, not."""
    officer = upsert_user("xa_dk", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[DONG_KINH])
    a = commune(DONG_KINH)
    Person.objects.filter(pk=cross_pair.person_b_id).update(scope_commune=a, commune=a)
    Enrolment.objects.filter(person_id=cross_pair.person_b_id).update(scope_commune=a)
    officer._ansinh_scope = None
    assert list(selectors.pairs(officer)) == [cross_pair]
    services.reject_pair(cross_pair, officer, note="khác người")
    assert MatchPair.objects.get(pk=cross_pair.pk).status == PairStatus.REJECTED


def test_id_proposal_of_a_person_outside_scope_cannot_be_decided():
    """A proposal filed under commune A whose person is now in commune B (or was filed wrongly)
    is neither shown to A's officer nor decidable by them."""
    a, b = commune(DONG_KINH), commune(KY_LUA)
    pb = person(NAME_B, b)
    prop = IdProposal.objects.create(person=pb, reason="missing", proposed_id="020045001111", probability=0.95,
                                     scope_commune=a, province_code=a.province_code)
    officer = upsert_user("xa_dk", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[DONG_KINH])
    assert not selectors.proposals(officer, None).exists()
    for decide in (services.reject_proposal, services.accept_proposal):
        with pytest.raises(BadInput):
            decide(prop, officer)
    prop.refresh_from_db()
    pb.refresh_from_db()
    assert prop.status == ProposalStatus.OPEN and pb.id_number is None
    c = login("xa_dk2", "commune_officer", DONG_KINH)
    assert c.post(f"/matching/proposals/{prop.pk}/decide/", {"action": "reject"}).status_code == 404
    prov = upsert_user("tinh", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=[PROVINCE])
    services.accept_proposal(prop, prov)
    pb.refresh_from_db()
    assert pb.id_number == "020045001111"


def test_accepting_a_proposal_whose_number_is_taken_names_nobody_and_goes_to_the_province():
    from ansinh.registry import rules
    from ansinh.registry.models import QualityIssue

    a, b = commune(DONG_KINH), commune(KY_LUA)
    holder = person(NAME_B, b, id_number="020045002222")
    pa = person(NAME_A, a)
    prop = IdProposal.objects.create(person=pa, reason="missing", proposed_id="020045002222", probability=0.95,
                                     scope_commune=a, province_code=a.province_code)
    c = login("xa_dk", "commune_officer", DONG_KINH)
    r = c.post(f"/matching/proposals/{prop.pk}/decide/", {"action": "accept"}, follow=True)
    body = r.content.decode()
    # (the page lists the proposal itself, with its proposed number: the officer's own data)
    assert NAME_B not in body and "Kỳ Lừa" not in body
    assert rules.ID_TAKEN_MESSAGE in body
    prop.refresh_from_db()
    pa.refresh_from_db()
    assert prop.status == ProposalStatus.OPEN and pa.id_number is None
    routed = QualityIssue.objects.get(rule="ID_TAKEN")
    assert routed.person_id == pa.pk and routed.details["other_person"] == holder.pk
    assert (routed.scope_commune_id, routed.province_code) == (None, PROVINCE)
