"""Masking matrix: every role × every page, API answer and export that shows a person (every GET
route of the URL configuration, filled with the primary keys of a commune's rows of every scoped
model, plus the links those pages give): an ID, phone or account number appears whole only for the
roles ansinh.core.masking allows, and the allowed roles do get them whole somewhere.

Built on the route discovery and the factories of tests/core/test_scope_matrix.py (its helpers are
imported; a new route or a new scoped model is covered without editing this test)."""
from __future__ import annotations

import re
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ansinh.core import masking
from ansinh.core.services import upsert_user
from tests.core import test_scope_matrix as sm

pytestmark = pytest.mark.django_db

ROLES = {  # name -> roles (all with the scope of commune A or its province)
    "commune_officer": (["commune_officer"], "A"),
    "province_officer": (["province_officer"], "P"),
    "approver": (["approver"], "P"),
    "auditor": (["auditor"], "P"),
    "admin": (["admin"], "P"),
    "outreach": (["outreach"], "A"),
}
# Files for a payment provider carry whole numbers by design (ansinh.core.masking's docstring).
# The pages and exports that show one person's categories (HIV and disability: handlers only).
PERSON_ROUTES = {"registry/persons/<int:pk>/", "registry/persons/export/", "payroll/runs/<int:pk>/",
                 "matching/pairs/<int:pk>/"}
PAYMENT_FILES = {"payroll/runs/<int:pk>/files.zip", "payroll/runs/<int:pk>/demo-result.csv",
                 "api/payroll/runs/{run_id}/g2p-disburse", "payroll/runs/<int:pk>/lines/<int:line>/vietqr.png"}


def identifiers() -> dict[str, set[str]]:
    """kind -> the whole numbers stored for people (long enough not to occur by chance)."""
    from ansinh.matching.models import IdProposal
    from ansinh.registry.models import PaymentAccount, Person

    out = defaultdict(set)
    for idn, cmnd, phone in Person.objects.values_list("id_number", "legacy_cmnd", "phone"):
        out["id"] |= {v for v in (idn, cmnd) if v}
        if phone:
            out["phone"].add(phone)
    out["account"] |= set(PaymentAccount.objects.exclude(account_number="").values_list("account_number", flat=True))
    for cur, prop in IdProposal.objects.values_list("current_id", "proposed_id"):
        out["id"] |= {v for v in (cur, prop) if v}
    return {k: {v for v in vs if len(v) >= 8} for k, vs in out.items()}


def test_numbers_whole_only_where_allowed(tmp_path, settings):
    from ansinh.registry.models import Person

    settings.MEDIA_ROOT = tmp_path / "media"
    a = sm.commune(sm.A_CODE)
    made = sm._make(a, sm.A_RANGE, sm.A_MARKER)
    sm._write_files(made, tmp_path / "media")
    # phones too (the factories leave them empty) — on every person of A: the pages visited are those of the
    # representative objects' persons, whatever their place among A's persons (was: the first 20 by pk,
    # which the visited pages met only when another table's ids happened to equal theirs)
    for p in Person.objects.filter(scope_commune=a).order_by("pk"):
        p.phone = f"09{p.pk % 10**8:08d}"
        p.save(update_fields=["phone"])
    objs = sm._objects(made, a)
    # rejected import rows hold whole numbers as typed (an ID, an account, in the raw cells and a reason)
    from ansinh.registry.models import Enrolment, ImportRow, PaymentAccount

    an_id = Person.objects.filter(scope_commune=a).exclude(id_number=None).values_list("id_number", flat=True).first()
    acc = PaymentAccount.objects.filter(person__scope_commune=a).order_by("pk").first()
    an_account = "9704050012345678"  # as a bank writes it (the factories' numbers carry a text marker)
    PaymentAccount.objects.filter(pk=acc.pk).update(account_number=an_account)
    ImportRow.objects.filter(batch__scope_commune=a).update(raw=["1", "Hoàng Văn A", an_id, f" {an_account} "],
                                                            reasons=[f"Số định danh {an_id} đã có"])
    # an HIV category on a person of A: shown only to the roles that handle it
    Enrolment.objects.filter(scope_commune=a).update(category="5.3")
    numbers = identifiers()
    assert numbers["id"] and numbers["phone"] and numbers["account"], numbers

    org = None
    from ansinh.outreach.models import Task

    task = Task.objects.filter(scope_commune=a).first()
    org = task.recipient if task else None
    clients = {}
    for name, (roles, where) in ROLES.items():
        u = upsert_user(f"mask_{name}", None, roles=roles, unit_codes=[sm.A_CODE if where == "A" else a.province_code],
                        organisation=org if name == "outreach" else None)
        c = Client(raise_request_exception=False)
        c.force_login(u)
        clients[name] = c
    root = Client(raise_request_exception=False)
    root.force_login(get_user_model().objects.create(username="mask_root", is_superuser=True))

    # every GET route, filled with each of A's objects; kept when the superuser gets a 200 (the object fits)
    urls: set[str] = set()
    candidates = [o.pk for o in objs.values()] + [acc.person_id for acc in made["registry.PaymentAccount"]]
    for route in sm.ROUTES:
        params = sm._params(route)
        if not params:
            urls.add("/" + route)
            continue
        if any(conv not in ("int", "path", "str") for conv, _ in params):
            continue
        for pk in candidates:
            url = sm._fill(route, {name: pk for _, name in params})
            if root.get(url).status_code == 200:
                urls.add(url)
    for url in list(urls):  # and the links the pages give (filters, exports: ?format=xlsx…)
        r = root.get(url)
        if r.status_code == 200 and "html" in r.get("Content-Type", ""):
            urls |= {u for u in sm._links(sm._body(r).decode("utf-8", "replace"), url)
                     if "?" in u and sm._route_of(u.split("?")[0])}
    assert len(urls) > 60, len(urls)

    leaks, seen_whole = [], defaultdict(set)
    cases = 0
    for name, c in clients.items():
        roles = set(ROLES[name][0])
        for url in sorted(urls):
            route = (sm._route_of(url.split("?")[0]) or ("?",))[0]
            r = c.get(url)
            if r.status_code != 200:
                continue
            cases += 1
            text = sm._binary_text(sm._body(r))
            if route in PERSON_ROUTES and ("HIV/AIDS" in text or ",5.3," in text):
                seen_whole["category"].add(name)
                if not masking.may_see_sensitive(roles):
                    leaks.append(f"{name} sees an HIV category on {url}")
            for kind, values in numbers.items():
                hit = next((v for v in values if v in text), None)
                if hit is None:
                    continue
                seen_whole[kind].add(name)
                if not masking.may_see_whole(roles, kind) and route not in PAYMENT_FILES:
                    leaks.append(f"{name} sees a whole {kind} number on {url}")
    # the data subject's export (POST, a person of A): whole numbers, for the officers who answer requests only
    from ansinh.core.roles import SUBJECT_REQUEST_ROLES

    pid = Person.objects.filter(scope_commune=a).exclude(id_number=None).values_list("pk", flat=True).first()
    for name, c in clients.items():
        roles = set(ROLES[name][0])
        for fmt in ("json", "xlsx"):
            r = c.post(f"/audit/persons/{pid}/data/", {"reference": "Đơn 01/12", "format": fmt})
            assert r.status_code == (200 if roles & SUBJECT_REQUEST_ROLES else 403), (name, r.status_code)
            if r.status_code == 200:
                cases += 1
                text = sm._binary_text(sm._body(r))
                for kind, values in numbers.items():
                    if any(v in text for v in values) and not masking.may_see_whole(roles, kind):
                        leaks.append(f"{name} sees a whole {kind} number in the data subject's {fmt}")
                assert Person.objects.get(pk=pid).id_number in text  # whole for the data subject
    assert not leaks, "\n".join(sorted(set(leaks)))
    assert {"commune_officer", "province_officer", "approver"} <= seen_whole["category"], seen_whole["category"]
    for kind in ("id", "phone", "account"):
        assert {"commune_officer", "province_officer"} <= seen_whole[kind], (kind, seen_whole[kind])
    assert "approver" in seen_whole["account"]
    assert cases > 200, cases


def test_mask_rules():
    assert masking.mask("020040001234", "id") == "••••1234"
    assert masking.mask("0912345678", "phone") == "••••678"
    assert masking.mask("", "account") == "" and masking.mask("12", "account") == "••••"
    assert masking.shown("1002003001", "account", {"approver"}) == "1002003001"
    assert masking.shown("020040001234", "id", {"approver"}) == "••••1234"
    assert masking.shown("020040001234", "id", {"auditor", "admin"}) == "••••1234"
    assert masking.shown("020040001234", "id", set(), operator=True) == "020040001234"
    with pytest.raises(ValueError):
        masking.mask("1", "name")


def test_long_numbers_in_messages_are_masked():
    msg = "Số điện thoại đầu số cũ 01889580394 đã đổi thành 0589580394 (2024)"
    assert masking.text_masked(msg, {"auditor"}) == "Số điện thoại đầu số cũ ••••0394 đã đổi thành ••••0394 (2024)"
    assert masking.text_masked(msg, {"commune_officer"}) == msg


def test_history_values_of_identifier_fields_are_masked():
    show = lambda v, k: masking.shown(v, k, {"auditor"})  # noqa: E731
    assert masking.change_value("id_number", "020040001234", show) == "••••1234"
    assert masking.change_value("note", "020040001234", show) == "020040001234"


def test_raw_cells_and_categories_by_role():
    """Worked examples of the two rules the matrix applies."""
    assert masking.cell_masked("0201 5000 0044", {"auditor"}) == "••••0044"
    assert masking.cell_masked("1002-003-004", {"approver"}) == "••••3004"
    assert masking.cell_masked("Hoàng Văn A", {"auditor"}) == "Hoàng Văn A"
    assert masking.cell_masked("15/07/1950", {"auditor"}) == "15/07/1950"  # a date is not an identifier
    assert masking.cell_masked("trùng 020150000044", {"auditor"}) == "trùng ••••0044"
    assert masking.cell_masked("020150000044", {"commune_officer"}) == "020150000044"
    assert masking.category_shown("5.6-severe", {"auditor"}) == masking.PROTECTED
    assert masking.category_shown("5.4+5.3", {"admin"}) == masking.PROTECTED
    assert masking.category_shown("5.1", {"auditor"}) == "5.1"
    assert masking.category_shown("5.3", {"approver"}) == "5.3"
    assert masking.shown("5.8", masking.CATEGORY, {"outreach"}) == masking.PROTECTED
