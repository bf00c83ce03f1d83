"""Registry dedupe, the review queue and decisions, on the database."""
import datetime as dt

import pytest
from django.test import Client

from ansinh.core.jobs import run_inline
from ansinh.core.services import upsert_user
from ansinh.matching import services
from ansinh.matching.models import MatchPair, MatchRun, PairStatus
from ansinh.registry.models import ChangeLog, Enrolment, EnrolmentStatus, Person
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

from .test_engine import _people, _variant

pytestmark = pytest.mark.django_db


def commune(code):
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


@pytest.fixture
def registry():
    """600 persons in two communes, 30 of them listed again (with faults) in the other commune."""
    import random

    rng = random.Random(5)
    a, b = commune("05977"), commune("06079")
    people = _people(600, seed=11)
    twins = [_variant(p, rng) for p in rng.sample(people, 30)]
    ids = {p["key"]: p["id_number"] for p in people}  # the registry has one person per ID number
    objs = []
    for i, p in enumerate(people + twins):
        c = a if (i < 300 or i >= 600) else b
        if i >= 600:  # the twin goes to the other commune
            c = b if people.index(next(q for q in people if q["key"] == p["key"])) < 300 else a
        objs.append(Person(full_name=p["full_name"], name_key=fold(p["full_name"]), dob=p["dob"],
                           dob_precision="year" if p.get("dob_year_only") else "day", gender=p["gender"],
                           id_number=p["id_number"] if i < 600 or p["id_number"] != ids[p["key"]] else None,
                           residence_unit=c, commune=c, scope_commune=c, province_code=c.province_code,
                           village=p["village"]))
    Person.objects.bulk_create(objs)
    persons = list(Person.objects.order_by("pk"))
    Enrolment.objects.bulk_create([Enrolment(person=p, category="5.5c", start_month="2024-01",
                                             scope_commune=p.scope_commune, province_code=p.province_code)
                                   for p in persons])
    truth = {}
    for i, p in enumerate(persons):
        truth[p.pk] = (people + twins)[i]["key"]
    return truth


def test_dedupe_job_queues_true_twins_and_confirm_stops_enrolment(registry):
    job = run_inline("matching.dedupe", {"threshold": 0.9})
    assert job.status == "succeeded", job.error
    run = MatchRun.objects.get()
    assert run.records == 630 and run.model.get("probability_two_random_records_match")
    pairs = list(MatchPair.objects.filter(match_probability__gte=0.9))
    true = [p for p in pairs if registry[p.person_a_id] == registry[p.person_b_id]]
    assert len(true) >= 25 and len(true) >= 0.9 * len(pairs)
    assert set(true[0].contributions) >= {"given", "family", "dob", "id_number"}
    # a province officer confirms: B's enrolment is terminated with history
    officer = upsert_user("tinh_t", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    pair = true[0]
    c = Client()
    assert c.login(username="tinh_t", password="Mk-thu-nghiem-2024")
    r = c.get(f"/matching/pairs/{pair.pk}/")
    body = r.content.decode()
    assert r.status_code == 200 and f"/registry/persons/{pair.person_a_id}/" in body and "Giống nhau" in body
    r = c.post(f"/matching/pairs/{pair.pk}/decide/", {"action": "keep_a"})
    assert r.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairStatus.CONFIRMED and pair.decided_by == officer
    e = Enrolment.objects.get(person_id=pair.person_b_id)
    assert e.status == EnrolmentStatus.TERMINATED and e.status_reason == services.DUPLICATE_REASON
    assert Enrolment.objects.get(person_id=pair.person_a_id).status == EnrolmentStatus.ACTIVE
    log = ChangeLog.objects.filter(model="registry.enrolment", object_id=e.pk, field="status").get()
    assert log.new == EnrolmentStatus.TERMINATED and log.user == officer
    # reject another; a second run does not queue decided pairs again
    other = pairs[1]
    services.reject_pair(other, officer, note="hai người khác nhau")
    run_inline("matching.dedupe", {"threshold": 0.9})
    again = {(p.person_a_id, p.person_b_id) for p in MatchPair.objects.filter(status=PairStatus.OPEN)}
    assert (pair.person_a_id, pair.person_b_id) not in again and (other.person_a_id, other.person_b_id) not in again


def test_commune_officer_cannot_decide_outside_scope(registry):
    a = commune("05977")
    b = commune("06079")
    p1 = Person.objects.filter(scope_commune=b).first()
    p2 = Person.objects.filter(scope_commune=b).last()
    run = MatchRun.objects.create()
    pair = MatchPair.objects.create(run=run, person_a=p1, person_b=p2, cluster=p1.pk, match_probability=0.99,
                                    match_weight=10, scope_commune=b, province_code=b.province_code)
    upsert_user("xa_a", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[a.code])
    c = Client()
    assert c.login(username="xa_a", password="Mk-thu-nghiem-2024")
    assert c.get(f"/matching/pairs/{pair.pk}/").status_code == 404
    assert c.post(f"/matching/pairs/{pair.pk}/decide/", {"action": "keep_a"}).status_code == 404
    assert "0 cặp" in c.get("/matching/").content.decode()
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN
    assert dt.date.today()


def test_api_pairs_are_scoped(registry):
    b = commune("06079")
    p1, p2 = Person.objects.filter(scope_commune=b)[:2]
    MatchPair.objects.create(run=MatchRun.objects.create(), person_a=p1, person_b=p2, cluster=p1.pk,
                             match_probability=0.99, match_weight=10, scope_commune=b, province_code="20")
    upsert_user("xa_b2", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["06079"])
    upsert_user("xa_a2", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["05977"])
    c = Client()
    assert c.login(username="xa_b2", password="Mk-thu-nghiem-2024")
    assert [x["person_a"] for x in c.get("/api/matching/pairs").json()] == [p1.pk]
    c = Client()
    assert c.login(username="xa_a2", password="Mk-thu-nghiem-2024")
    assert c.get("/api/matching/pairs").json() == []


def test_cross_commune_pairs_of_a_run_go_to_the_province(registry):
    """On a real run (the twins are listed in the other commune): each commune officer sees
    (list, count, API) only the pairs with both persons in their commune; the province sees all;
    each pair is filed under the unit covering both persons."""
    from ansinh.matching import selectors

    other = AdminUnit.objects.filter(level=Level.COMMUNE, valid_to__isnull=True).exclude(province_code="20").first()
    x1, x2 = (Person.objects.create(full_name="Lò Văn Một", name_key=fold("Lò Văn Một"), scope_commune=other,
                                    commune=other, province_code=other.province_code) for _ in range(2))
    elsewhere = MatchPair.objects.create(run=MatchRun.objects.create(), person_a=x1, person_b=x2, cluster=x1.pk,
                                         match_probability=0.9, match_weight=8.0, scope_commune=other,
                                         province_code=other.province_code)
    job = run_inline("matching.dedupe", {"threshold": 0.9, "province_code": "20"})
    assert job.status == "succeeded", job.error
    assert MatchPair.objects.filter(pk=elsewhere.pk).exists()  # another province's queue is left alone
    pairs = list(MatchPair.objects.exclude(pk=elsewhere.pk).select_related("person_a", "person_b"))
    cross = [p for p in pairs if p.person_a.scope_commune_id != p.person_b.scope_commune_id]
    assert len(cross) >= 20
    for p in pairs:
        same = p.person_a.scope_commune_id == p.person_b.scope_commune_id
        assert (p.scope_commune_id, p.province_code) == (p.person_a.scope_commune_id if same else None, "20")
    province = upsert_user("tinh_x", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    assert selectors.pairs(province, None).count() == len(pairs)
    for code in ("05977", "06079"):
        officer = upsert_user(f"xa_{code}", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[code])
        unit = commune(code)
        own = {p.pk for p in pairs if p.person_a.scope_commune_id == p.person_b.scope_commune_id == unit.pk}
        assert set(selectors.pairs(officer, None).values_list("pk", flat=True)) == own
        c = Client()
        assert c.login(username=f"xa_{code}", password="Mk-thu-nghiem-2024")
        assert {x["id"] for x in c.get("/api/matching/pairs?limit=1000").json()} == own
        assert f"{len(own)} cặp" in c.get("/matching/").content.decode()
        for p in cross[:5]:
            assert c.get(f"/matching/pairs/{p.pk}/").status_code == 404


def test_decision_views_record_who_when_why_and_refuse_bad_requests():
    """The one decision view behind pairs and proposals: GET refused, an unknown action says so
    and leads back, a rejection records status, user, time and note; the lists filter by status."""
    from ansinh.matching.models import IdProposal, ProposalStatus

    a = commune("05977")
    p1, p2, p3 = (Person.objects.create(full_name=f"Lò Thị Mai {i}", name_key=f"LO THI MAI {i}", commune=a,
                                        residence_unit=a, scope_commune=a, province_code=a.province_code)
                  for i in range(3))
    pair = MatchPair.objects.create(run=MatchRun.objects.create(), person_a=p1, person_b=p2, cluster=p1.pk,
                                    match_probability=0.95, match_weight=6, scope_commune=a,
                                    province_code=a.province_code)
    prop = IdProposal.objects.create(person=p3, reason="missing", proposed_id="020080001234", probability=0.96,
                                     scope_commune=a, province_code=a.province_code)
    officer = upsert_user("xa_t", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[a.code])
    c = Client()
    assert c.login(username="xa_t", password="Mk-thu-nghiem-2024")
    assert c.get(f"/matching/pairs/{pair.pk}/decide/").status_code == 405
    r = c.post(f"/matching/pairs/{pair.pk}/decide/", {"action": "merge"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/matching/pairs/{pair.pk}/" and "Thao tác không hợp lệ" in r.content.decode()
    r = c.post(f"/matching/pairs/{pair.pk}/decide/", {"action": "reject", "note": "hai người khác nhau"}, follow=True)
    assert r.redirect_chain[-1][0] == "/matching/" and "hai hồ sơ không trùng" in r.content.decode()
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by, pair.note) == (PairStatus.REJECTED, officer, "hai người khác nhau")
    assert pair.decided_at is not None
    assert "0 cặp hồ sơ" in c.get("/matching/").content.decode()
    assert "1 cặp hồ sơ" in c.get("/matching/?status=all").content.decode()
    r = c.post(f"/matching/proposals/{prop.pk}/decide/", {"action": "reject", "note": "không phải"}, follow=True)
    assert r.redirect_chain[-1][0] == "/matching/proposals/" and "Đã từ chối đề xuất" in r.content.decode()
    prop.refresh_from_db()
    assert (prop.status, prop.decided_by, prop.note) == (ProposalStatus.REJECTED, officer, "không phải")
    assert "1 đề xuất" in c.get("/matching/proposals/?status=rejected").content.decode()


def test_person_rows_carry_phone_and_open_account_and_the_run_stores_shared_contact(registry):
    from ansinh.matching import engine
    from ansinh.registry.models import AccountHolder, AccountStatus, PaymentAccount

    p1, p2, p3 = Person.objects.order_by("pk")[:3]
    Person.objects.filter(pk=p1.pk).update(phone="0912 345 678")
    PaymentAccount.objects.create(person=p1, account_number="1111222233334", provider="970405",
                                  status=AccountStatus.CLOSED)
    PaymentAccount.objects.create(person=p1, account_number="5555666677778", provider="970405")
    # two persons paid into one account held by an authorised person
    for p in (p2, p3):
        PaymentAccount.objects.create(person=p, account_number="9999888877776", provider_name="Agribank",
                                      holder=AccountHolder.AUTHORISED, holder_name="Lương Thị Mìn")
    rows = {r["unique_id"]: r for r in services.person_rows(Person.objects.all())}
    assert rows[p1.pk]["phone"] == "0912 345 678" and rows[p1.pk]["account_number"] == "5555666677778"
    assert rows[p1.pk]["bank"] == "970405" and rows[p1.pk]["paid_to"] is None
    assert rows[p2.pk]["account_number"] == "9999888877776" and rows[p2.pk]["bank"] == "Agribank"
    assert rows[p2.pk]["paid_to"] == "Lương Thị Mìn"
    last = Person.objects.order_by("-pk").first()
    assert rows[last.pk]["account_number"] is None and rows[last.pk]["phone"] is None
    # the stored review flag is the engine's (a pair linked only through the account is never clustered)
    run = services.run_registry_dedupe(threshold=0.9)
    res = engine.dedupe(list(rows.values()), threshold=0.9)
    want = {tuple(sorted((p["unique_id_l"], p["unique_id_r"]))): bool(p["shared_contact"])
            for p in res.pairs if p["match_probability"] >= services.REVIEW_FROM}
    got = {(p.person_a_id, p.person_b_id): p.shared_contact for p in MatchPair.objects.filter(run=run)}
    assert got == want
    for p in MatchPair.objects.filter(run=run, shared_contact=True):
        assert p.match_probability >= 0.9
