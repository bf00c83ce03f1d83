"""Issue 12: the duplicate-pair page says why in words (matching/reasons.py), marks the characters
that differ, links to both records and goes on to the next pair after a decision."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.matching import reasons
from ansinh.matching.reasons import Side

from .test_pair_scope import DONG_KINH, PROVINCE, commune, login, person


def texts(a, b, weights=None):
    return [(r.text, r.supports) for r in reasons.reasons(a, b, weights)]


def test_reasons_in_words():
    a = Side("Hoàng Thị Mai", dt.date(1941, 3, 5), "day", "020141001234", "F", "Phường Đông Kinh", "Khối 4",
             ["8300111122223"])
    b = Side("HOANG THI MAI", dt.date(1951, 3, 5), "day", "020141001234", "F", "Xã Hồng Phong", "khối 4",
             ["8300111122223"])
    got = texts(a, b, {"dob": -4.0})
    assert got == [("cùng số CCCD", True), ("cùng số tài khoản", True), ("năm sinh lệch 10 năm", False),
                   ("cùng họ tên", True), ("khác xã/phường", False), ("cùng thôn/bản", True)]
    # day and month swapped; an ID one digit off; another given name; the weight's sign decides
    b = Side("Hoàng Thị Mơ", dt.date(1941, 5, 3), "day", "020141001235", "M")
    got = dict(texts(a, b, {"id_number": 2.5}))
    assert got == {"số CCCD chỉ khác 1 chữ số": True, "cùng năm sinh; ngày và tháng bị đảo chỗ": True,
                   "tên khác nhau": False, "khác giới tính": False}
    assert dict(texts(Side(id_number="123456789"), Side(id_number="123456789"))) == {"cùng số CMND": True}
    # an old CMND beside a CCCD: evidence against unless the model weighs it for (a CMND swapped for a CCCD)
    assert dict(texts(Side(id_number="081234567"), Side(id_number="020141001234"))) == {
        "một hồ sơ ghi số CMND 9 số, hồ sơ kia số CCCD 12 số": False}
    assert dict(texts(Side(id_number="081234567"), Side(id_number="020141001234"), {"id_number": 1.0})) == {
        "một hồ sơ ghi số CMND 9 số, hồ sơ kia số CCCD 12 số": True}
    assert dict(texts(Side(dob=dt.date(1940, 1, 1), dob_precision="year"), Side(dob=dt.date(1940, 6, 2)))) == {
        "cùng năm sinh": True}
    assert texts(Side(), Side()) == []


def test_differing_characters_are_marked():
    a, b = reasons.segments("Hoàng Thị Mai", "HOANG THI MAI")
    assert "".join(t for t, _ in a) == "Hoàng Thị Mai" and "".join(t for t, _ in b) == "HOANG THI MAI"
    assert [t for t, d in a if d] == ["à", "ị"]  # case is not a difference; tone marks are
    a, b = reasons.segments("020141001234", "020141002134")
    assert [t for t, d in a if d] and all(not d for t, d in a[:1])
    assert reasons.segments("", "x") == ([], [("x", True)])


@pytest.mark.django_db
def test_the_page_and_the_next_pair():
    from ansinh.matching.models import MatchPair, MatchRun

    unit = commune(DONG_KINH)
    run = MatchRun.objects.create()
    pairs = []
    for i, prob in enumerate((0.99, 0.95)):
        pa = person(f"Lý Văn Tư{i}", unit, legacy_cmnd=f"08004{i}234", dob=dt.date(1940, 1, 2))
        pb = person(f"Lý Văn Tứ{i}", unit, legacy_cmnd=f"08004{i}234", dob=dt.date(1950, 1, 2))
        pairs.append(MatchPair.objects.create(run=run, person_a=pa, person_b=pb, cluster=pa.pk,
                                              match_probability=prob, match_weight=9.0,
                                              contributions={"given": 1.5, "dob": -3.0},
                                              scope_commune=unit, province_code=PROVINCE))
    c = login("xa_pair", "commune_officer", DONG_KINH)
    first, second = pairs
    html = c.get(f"/matching/pairs/{first.pk}/").content.decode()
    assert "cùng số CMND" in html and "năm sinh lệch 10 năm" in html and "log2" not in html
    assert f'href="/registry/persons/{first.person_a_id}/"' in html
    assert f'href="/registry/persons/{first.person_b_id}/"' in html
    assert "<mark" in html and "data-code" in html
    r = c.post(f"/matching/pairs/{first.pk}/decide/", {"action": "reject"})
    assert r.status_code == 302 and r["Location"] == f"/matching/pairs/{second.pk}/"
    r = c.post(f"/matching/pairs/{second.pk}/decide/", {"action": "reject"})
    assert r["Location"] == "/matching/"  # none left: back to the queue


def test_reasons_name_the_bank_the_phone_and_two_consistent_cccds():
    a = Side("Vi Văn Nần", dt.date(1948, 2, 1), "day", "020048001234", "M", accounts=["8300111122223"],
             banks={"8300111122223": "Agribank"}, phone="0912 345 678")
    b = Side("Vi Văn Nần", dt.date(1952, 7, 9), "day", "020052998877", "M", accounts=["8300111122223"],
             phone="0912345678")
    got = dict(texts(a, b, {"id_number": -9.0}))
    assert got["số CCCD khác nhau, cả hai khớp năm sinh và giới tính của hồ sơ mình"] is False
    assert got["cùng số tài khoản Agribank"] is True and got["cùng số điện thoại"] is True
    # a CCCD that does not fit its own row's birth year is only "different"
    c = Side("Vi Văn Nần", dt.date(1960, 1, 1), "day", "020052998877", "M")
    assert dict(texts(a, c, {"id_number": -2.0})) .get("số CCCD khác nhau") is False


@pytest.mark.django_db
def test_the_page_explains_a_shared_account_review():
    from ansinh.matching.models import MatchPair, MatchRun
    from ansinh.registry.models import AccountHolder, PaymentAccount

    unit = commune(DONG_KINH)
    pa = person("Lương Văn Mìn", unit, legacy_cmnd="080041234", dob=dt.date(1940, 1, 2))
    pb = person("Lương Thị Páo", unit, legacy_cmnd="080049876", dob=dt.date(1944, 3, 2))
    for p in (pa, pb):
        PaymentAccount.objects.create(person=p, account_number="9999888877776", provider_name="Agribank",
                                      holder=AccountHolder.AUTHORISED, holder_name="Lương Văn Tồn")
    pair = MatchPair.objects.create(run=MatchRun.objects.create(), person_a=pa, person_b=pb, cluster=pa.pk,
                                    match_probability=0.93, match_weight=4.0, shared_contact=True,
                                    contributions={"account": 12.0, "given": -5.0},
                                    scope_commune=unit, province_code=PROVINCE)
    c = login("xa_shared", "commune_officer", DONG_KINH)
    html = c.get(f"/matching/pairs/{pair.pk}/").content.decode()
    assert 'data-testid="shared-contact"' in html and "Hai hồ sơ dùng chung một số tài khoản." in html
    assert "cùng số tài khoản Agribank" in html and "9999888877776" not in html.split("pair-table")[0]


@pytest.mark.django_db
def test_the_categories_are_said_in_words():
    """The enrolments of both records by the category's words (the code only in a tooltip), HIV hidden from
    the roles that do not handle it (ansinh.core.masking.category_shown)."""
    from ansinh.matching.models import MatchPair, MatchRun
    from ansinh.registry.models import Enrolment

    unit = commune(DONG_KINH)
    pa = person("Hà Thị Lan", unit, legacy_cmnd="080041234", dob=dt.date(1940, 1, 2))
    pb = person("Hà Thị Lan", unit, legacy_cmnd="080041234", dob=dt.date(1940, 1, 2))
    for p, cat in ((pa, "5.5c"), (pb, "5.3")):
        Enrolment.objects.create(person=p, programme="tcxh", category=cat, start_month="2024-01",
                                 scope_commune=unit, province_code=PROVINCE)
    pair = MatchPair.objects.create(run=MatchRun.objects.create(), person_a=pa, person_b=pb, cluster=pa.pk,
                                    match_probability=0.99, match_weight=9.0, contributions={},
                                    scope_commune=unit, province_code=PROVINCE)
    html = login("xa_words", "commune_officer", DONG_KINH).get(f"/matching/pairs/{pair.pk}/").content.decode()
    assert "Người từ đủ 80 tuổi không có lương hưu" in html and ">5.5c ·" not in html
    assert "HIV" in html  # the commune officer handles it
    other = login("tt_words", "outreach", DONG_KINH).get(f"/matching/pairs/{pair.pk}/")
    assert other.status_code in (403, 404) or "HIV" not in other.content.decode()
