"""Scope matrix: a commune officer of commune A sees nothing of commune B through any page or API.

Generic over the URL configuration, so new pages are covered without editing this test:
every GET page and API endpoint is rendered for officer A before and after commune B gets
data (a burst of rows of every scoped model); the two renderings must be identical —
lists, counts and search (with B's marker as the query) included — and every detail URL
filled with B's primary keys must answer 404.
"""
from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ansinh.core.models import Job
from ansinh.core.services import upsert_user
from ansinh.units.models import AdminUnit, Level

pytestmark = pytest.mark.django_db
MARKER = "Zqxmarkerb"
SKIP_PREFIXES = ("static/", "i18n/", "media/")


def commune(code: str) -> AdminUnit:
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


def _job(b: AdminUnit, i: int):
    return Job.objects.create(kind="test", title=f"{MARKER} job {i}", commune=b, province_code=b.province_code)


# One factory per scoped model: (model label) -> callable(commune_b, i) -> instance.
FACTORIES = {"core.Job": _job}
# Each app's tests contribute factories in tests/<app>/scope_factories.py (FACTORIES dict).
for _path in sorted(Path(__file__).resolve().parents[1].glob("*/scope_factories.py")):
    FACTORIES.update(importlib.import_module(f"tests.{_path.parent.name}.scope_factories").FACTORIES)


def scoped_models() -> set[str]:
    return {m._meta.label for m in apps.get_models() if hasattr(m, "ScopeMeta")}


def test_every_scoped_model_has_a_factory():
    assert scoped_models() <= set(FACTORIES), "add a factory for each new scoped model"


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _patterns(p, route)
        elif isinstance(p, URLPattern):
            yield route


def _routes():
    plain, with_args = [], []
    for route in _patterns():
        route = route.lstrip("^").rstrip("$")
        if route.startswith(SKIP_PREFIXES) or "logout" in route:
            continue
        (with_args if "<" in route else plain).append(route)
    return sorted(set(plain)), sorted(set(with_args))


def _normalise(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    html = re.sub(r'data-csrf-token="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)  # the CSP nonce, new on every response
    return html


def _render_all(client: Client, routes: list[str]) -> dict[str, tuple[int, str]]:
    out = {}
    for route in routes:
        for query in ("", f"?q={MARKER}", f"?search={MARKER}"):
            r = client.get("/" + route + query)
            body = r.content.decode("utf-8", "replace") if r.status_code == 200 else ""
            out[route + query] = (r.status_code, _normalise(body))
    return out


def test_commune_officer_sees_nothing_of_another_commune():
    a, b = commune("05977"), commune("06187")  # Phường Đông Kinh, Phường Kỳ Lừa
    officer = upsert_user("officer_a", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[a.code])
    client = Client()
    assert client.login(username="officer_a", password="Mk-thu-nghiem-2024")
    plain, with_args = _routes()
    assert "" in plain and "api/me" in plain

    before = _render_all(client, plain)
    assert all(status != 500 for status, _ in before.values())

    created = [FACTORIES[label](b, i) for label in sorted(FACTORIES) for i in range(7)]
    after = _render_all(client, plain)
    for key in before:
        assert after[key] == before[key], f"{key} changed for officer A when commune B got data"
        # (the marker may appear only where the page echoes the query back, identically before and after)

    # Every detail route, with each of B's primary keys, answers 404 (never 200 or 403 that confirms existence).
    conv = re.compile(r"<(?:(\w+):)?(\w+)>")
    checked = 0
    for route in with_args:
        for obj in created:
            kind = "uuid" if isinstance(obj.pk, uuid.UUID) else "int"
            names = conv.findall(route)
            if not names or any((c or "str") not in (kind, "str", "path") for c, _ in names):
                continue
            url = "/" + conv.sub(str(obj.pk), route)
            r = client.get(url)
            # 404 for a well-typed id of B; 422 when the id has the wrong type; 405 for POST-only routes
            assert r.status_code in (404, 405, 422) or (r.status_code == 200 and MARKER not in r.content.decode()), url
            checked += 1
    assert checked >= len(created)
    assert officer.is_active
