"""Identity oracles (issue 11, item 7): an ID number already registered to a person of
another commune is refused without naming that person, their commune or the number, and the
case goes to a reviewer whose scope covers both persons (the province)."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.core.jobs import BadInput
from ansinh.core.roles import OPERATOR
from ansinh.registry import rules, selectors
from ansinh.registry.importing.files import import_file
from ansinh.registry.models import ImportRow, IssueStatus, Person, QualityIssue, RowOutcome
from ansinh.registry.review import fix_issue
from ansinh.registry.routing import IdNumberTaken, covering_keys, follow_person_scope
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

from .conftest import DONG_KINH, KY_LUA, PROVINCE, person_row

pytestmark = pytest.mark.django_db

SECRET_NAME = "Hoàng Thị Bímật"
TAKEN_ID = "020045006789"


def current(code: str) -> AdminUnit:
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


@pytest.fixture
def other_person():
    """The person in Kỳ Lừa (commune B) who holds the ID number."""
    b = current(KY_LUA)
    return Person.objects.create(full_name=SECRET_NAME, name_key=fold(SECRET_NAME), id_number=TAKEN_ID,
                                 scope_commune=b, commune=b, residence_unit=b, province_code=b.province_code)


@pytest.fixture
def own_issue():
    """A person of Đông Kinh (commune A) with an open ID issue, for commune A's officer to fix."""
    a = current(DONG_KINH)
    p = Person.objects.create(full_name="Nguyễn Văn An", name_key=fold("Nguyễn Văn An"), id_number=None,
                              scope_commune=a, commune=a, residence_unit=a, province_code=a.province_code)
    return QualityIssue.objects.create(person=p, rule="ID_SHAPE", severity="error", field="id_number",
                                       message="Số định danh/CMND sai định dạng", scope_commune=a,
                                       province_code=a.province_code)


def _leaks(text: str, *, number: bool = True) -> list[str]:
    """Which identifying facts about the other person a text gives away (the number too,
    unless the page shows the user's own input row, which holds it)."""
    folded = fold(text)
    found = [w for w in (SECRET_NAME, "Bímật") if fold(w) in folded]
    found += [w for w in ("Kỳ Lừa", "Ky Lua") if fold(w) in folded]
    found += [TAKEN_ID] if number and TAKEN_ID in text.replace(" ", "").replace(".", "") else []
    return found


def test_fix_form_does_not_name_the_holder_of_an_id_number(other_person, own_issue, officer):
    officer("dk", DONG_KINH)
    c = Client()
    assert c.login(username="dk", password="Mk-thu-nghiem-2024")
    for _attempt in range(2):  # repeatable: the same answer, still nothing named
        r = c.post(f"/registry/issues/{own_issue.pk}/fix/", {"field": "id_number", "value": TAKEN_ID},
                   HTTP_HX_REQUEST="true")
        body = r.content.decode()
        assert r.status_code == 200
        assert _leaks(body) == []
        assert rules.ID_TAKEN_MESSAGE in body
    # the plain (non-htmx) form: the message shown after the redirect says the same
    r = c.post(f"/registry/issues/{own_issue.pk}/fix/", {"field": "id_number", "value": TAKEN_ID}, follow=True)
    body = r.content.decode()
    assert _leaks(body) == [] and rules.ID_TAKEN_MESSAGE in body
    own_issue.refresh_from_db()
    assert own_issue.status == IssueStatus.OPEN
    assert own_issue.person.id_number is None and Person.objects.get(pk=other_person.pk).id_number == TAKEN_ID


def test_fix_service_refuses_with_the_plain_message_and_routes_the_case_to_the_province(
        other_person, own_issue, officer):
    a = officer("dk", DONG_KINH)
    with pytest.raises(BadInput) as exc:
        fix_issue(own_issue, a, "id_number", TAKEN_ID)
    assert _leaks(str(exc.value)) == []
    assert isinstance(exc.value, IdNumberTaken) and str(exc.value) == rules.ID_TAKEN_MESSAGE
    with pytest.raises(IdNumberTaken):  # a second attempt is counted on the same case
        fix_issue(own_issue, a, "id_number", TAKEN_ID)
    routed = QualityIssue.objects.get(rule="ID_TAKEN")
    assert routed.person_id == own_issue.person_id and routed.status == IssueStatus.OPEN
    assert routed.details["other_person"] == other_person.pk and routed.details["attempts"] == 2
    # filed under the province (whose scope covers both communes), not under either commune
    assert (routed.scope_commune_id, routed.province_code) == (None, PROVINCE)
    assert _leaks(routed.message) == []
    prov = officer("tinh", PROVINCE, role="province_officer")
    b = officer("kl", KY_LUA)
    assert list(selectors.issues(prov, rule="ID_TAKEN")) == [routed]
    assert not selectors.issues(a, rule="ID_TAKEN").exists()
    assert not selectors.issues(b, rule="ID_TAKEN").exists()
    c = Client()
    assert c.login(username="tinh", password="Mk-thu-nghiem-2024")
    assert f"issue-{routed.pk}" in c.get("/registry/review/?rule=ID_TAKEN").content.decode()


def test_import_rejection_does_not_name_the_commune_where_the_id_is_registered(
        other_person, small_list, officer):
    a = officer("dk", DONG_KINH)
    rep = import_file(small_list([person_row(name="Nguyễn Văn Mới", id_number=TAKEN_ID)]), user=a)
    assert rep["rejected"] == 1
    reasons = rep["rejected_rows"][0]["reasons"]
    stored = ImportRow.objects.get(batch_id=rep["batch"], outcome=RowOutcome.REJECTED)
    assert _leaks(" ".join(reasons)) == [] and _leaks(" ".join(stored.reasons)) == []
    assert reasons == [rules.ID_TAKEN_MESSAGE]
    # the batch page the importer sees says the same and nothing more (it shows their own row)
    c = Client()
    assert c.login(username="dk", password="Mk-thu-nghiem-2024")
    page = c.get(f"/registry/batches/{rep['batch']}/").content.decode()
    assert rules.ID_TAKEN_MESSAGE in page and _leaks(page, number=False) == []
    # the case is on the province's review queue
    routed = QualityIssue.objects.get(rule="ID_TAKEN")
    assert routed.person_id == other_person.pk and routed.batch_id == rep["batch"]
    assert (routed.scope_commune_id, routed.province_code) == (None, PROVINCE)
    assert "Đông Kinh" not in routed.message and "Nguyễn Văn Mới" not in routed.message
    prov = officer("tinh", PROVINCE, role="province_officer")
    assert list(selectors.issues(prov, rule="ID_TAKEN")) == [routed]
    assert not selectors.issues(a, rule="ID_TAKEN").exists()
    assert not selectors.issues(officer("kl", KY_LUA), rule="ID_TAKEN").exists()


def test_import_rejection_of_a_person_listed_elsewhere_by_name_and_birth(small_list, officer):
    """A person found by name and date of birth (no ID) in another unit: refused without
    naming the unit, and routed to the province."""
    # Registered by the province in Kỳ Lừa, with an old residence inside Đông Kinh's merged area.
    import_file(small_list([person_row(name="Lăng Thị Hoa", id_number="")], name="kl.xlsx",
                                    commune="PHƯỜNG KỲ LỪA"), OPERATOR, province=PROVINCE)
    held = Person.objects.get()
    dk = current(DONG_KINH)
    Person.objects.filter(pk=held.pk).update(residence_unit=dk)  # shares a unit with Đông Kinh's rows
    a = officer("dk", DONG_KINH)
    rep = import_file(small_list([person_row(name="Lăng Thị Hoa", id_number="")], name="dk.xlsx"), user=a)
    assert rep["rejected"] == 1
    assert "Kỳ Lừa" not in " ".join(rep["rejected_rows"][0]["reasons"])
    assert rep["rejected_rows"][0]["reasons"] == [rules.LISTED_ELSEWHERE_MESSAGE]
    routed = QualityIssue.objects.get(rule="LISTED_ELSEWHERE")
    assert routed.person_id == held.pk and (routed.scope_commune_id, routed.province_code) == (None, PROVINCE)


def test_routed_issues_stay_with_the_province_when_the_person_moves(other_person, own_issue, officer):
    a = officer("dk", DONG_KINH)
    with pytest.raises(IdNumberTaken):
        fix_issue(own_issue, a, "id_number", TAKEN_ID)
    follow_person_scope([own_issue.person_id], current(KY_LUA).pk, PROVINCE)
    routed = QualityIssue.objects.get(rule="ID_TAKEN")
    assert (routed.scope_commune_id, routed.province_code) == (None, PROVINCE)
    own_issue.refresh_from_db()
    assert own_issue.scope_commune_id == current(KY_LUA).pk


def test_covering_keys():
    assert covering_keys((1, "20"), (1, "20")) == (1, "20")
    assert covering_keys((1, "20"), (2, "20")) == (None, "20")
    assert covering_keys((1, "20"), (2, "01")) == (None, "")
    assert covering_keys((None, "20"), (2, "20")) == (None, "20")
