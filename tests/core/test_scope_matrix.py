"""Scope matrix: no role sees or changes anything of commune B through any page, export or API.

Generic over the URL configuration, so new routes are covered without editing this test.

Data: commune A (05977) gets rows of every scoped model (the factories of
tests/<app>/scope_factories.py, texts marked A_MARKER); then every role renders every GET route
(pages, HTMX partials, exports .xlsx/.csv/.pdf/.docx/.zip, the django-ninja API, with the query
strings the pages themselves link to or submit, the API's documented query parameters, and
search for B's marker); then commune B (06187) gets a burst of rows of every scoped model (texts
marked MARKER) and everything is rendered again. For every role:

* reads: each rendering after equals the one before (normalised: CSRF tokens and clock times
  removed; binary exports compared by their extracted text), so lists, counts, chips, badges,
  suggestions and exports are unchanged; no response ever contains B's marker (except a search
  page echoing the query, identically before and after); every route with a parameter, filled
  with the primary key of B's object of the model the route serves, answers 404 (or exactly
  what it answers for an object that does not exist: 405 for a route that does not take GET,
  a refusal by role);
* writes: every route is POSTed (and the API's routes PUT/PATCH/DELETE too) with B's objects
  (form data referring to A) and with A's objects and the plain routes with form data referring
  to B's objects; afterwards every row of every scoped model filed under commune B is unchanged
  (all field values), B's object routes answered 400/403/404/405/422, and no response (nor the
  page it redirects to) names B.

Which model a route serves is found by probing it with A's objects as a superuser; primary keys
of different models are kept disjoint (sequences moved apart) so that a B key can only ever hit
the model it belongs to. Form data is built from the forms the pages render (field names and
values) plus a small table of field values (SINK) that point at the other commune's objects.
"""
from __future__ import annotations

import contextlib
import html as htmllib
import importlib
import io
import itertools
import json
import re
import sys
import uuid
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from ansinh.core.models import Job
from ansinh.core.scope import scope_from_units
from ansinh.core.services import upsert_user
from ansinh.units.models import AdminUnit, Level

MARKER = "Zqxmarkerb"  # in every text of commune B's rows
A_MARKER = "Aqxmarkera"  # in every text of commune A's rows
SKIP_PREFIXES = ("static/", "i18n/", "media/")
# Routes that read no beneficiary data: the health probe (database, cache, worker heartbeat,
# disk; 503 here, with no worker running) has its own tests in tests/deploy.
NO_DATA = ("healthz",)
A_CODE, B_CODE, OTHER_PROVINCE = "05977", "06187", "22"  # Phường Đông Kinh, Phường Kỳ Lừa (Lạng Sơn); Quảng Ninh
N_B = 7  # rows of each scoped model made for B
A_RANGE = range(50, 53)  # factory indexes for A's rows (disjoint from B's 0..6: unique keys)

# Lower bound of the number of (role, route, object) cases: the matrix may grow, never shrink silently.
MIN_CASES = 12000

# Pages that record their own reading (the audit log, docs/decisions/0023): every rendering in the
# matrix adds entries, so they are not compared before/after; B's marker and B's objects still are.
SELF_RECORDING = {"audit/", "audit/persons/<int:pk>/"}

# Known leaks that are being fixed elsewhere: ("reads"|"writes", role, route) -> reason. Empty: the
# cross-commune pairs (issue 11 item 2) and the fix form's identity oracle (item 7) are closed.
XFAIL: dict[tuple[str, str, str], str] = {}


def commune(code: str) -> AdminUnit:
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


def _job(b: AdminUnit, i: int):
    return Job.objects.create(kind="test", title=f"{MARKER} job {i}", commune=b, province_code=b.province_code)


# One factory per scoped model: (model label) -> callable(commune, i) -> instance.
FACTORIES = {"core.Job": _job}
FACTORY_MODULES = [sys.modules[__name__]]
# Each app's tests contribute factories in tests/<app>/scope_factories.py (FACTORIES dict).
for _path in sorted(Path(__file__).resolve().parents[1].glob("*/scope_factories.py")):
    _mod = importlib.import_module(f"tests.{_path.parent.name}.scope_factories")
    FACTORIES.update(_mod.FACTORIES)
    FACTORY_MODULES.append(_mod)


def scoped_models() -> list[type[models.Model]]:
    return sorted((m for m in apps.get_models() if hasattr(m, "ScopeMeta")), key=lambda m: m._meta.label)


def test_every_scoped_model_has_a_factory():
    assert {m._meta.label for m in scoped_models()} <= set(FACTORIES), "add a factory for each new scoped model"


# --------------------------------------------------------------------------- routes

def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _patterns(p, route)
        elif isinstance(p, URLPattern):
            yield route


def _all_routes() -> list[str]:
    out = set()
    for route in _patterns():
        if route.startswith(SKIP_PREFIXES) or "logout" in route or route in NO_DATA:
            continue
        out.add(route)
    return sorted(out)


ROUTES = _all_routes()
CONV = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def _params(route: str) -> list[tuple[str, str]]:
    """[(converter, name)] of a route (Django <conv:name>; django-ninja paths are <name> with
    the type known only to ninja: taken as int unless named like an id of a UUID model)."""
    out = []
    for conv, name, _ in CONV.findall(route):
        out.append((conv or ("uuid" if name == "job_id" else "int" if route.startswith("api/") else "str"), name))
    return out


def _fill(route: str, values: dict[str, object]) -> str:
    return "/" + CONV.sub(lambda m: str(values[m.group(2) or m.group(3)]), route)


ROLE_SPECS = {  # name -> (roles, scope: "A" = commune A, "P" = another province, None)
    "commune_officer_A": (["commune_officer"], "A"),
    "province_officer_other": (["province_officer"], "P"),
    "approver_A": (["approver"], "A"),
    "auditor_A": (["auditor"], "A"),
    "auditor_other": (["auditor"], "P"),
    "outreach_unit_A": (["outreach"], "A"),  # organisation: the recipient of one of A's tasks
    "admin_other": (["admin"], "P"),
    # Machine clients' service users (ansinh.interop): no password, no page; even with a session
    # they open nothing. Their machine API has its own matrix (tests/interop/test_client_scope_matrix.py).
    "provider_client_A": (["provider_client"], "A"),
    "agency_client_A": (["agency_client"], "A"),
    "anonymous": (None, None),
}


# --------------------------------------------------------------------------- rendering and normalising

def _body(resp) -> bytes:
    if getattr(resp, "streaming", False):
        # consuming the content closes the response the test client's way (an explicit close()
        # would fire request_finished and close the database connection, and with it the
        # module's transaction, on PostgreSQL)
        return b"".join(resp.streaming_content)
    return resp.content


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # noqa: BLE001 - a broken PDF is compared by its error
        return f"<pdf {type(exc).__name__}>"


def _binary_text(data: bytes) -> str:
    """The text inside a zip container (xlsx, docx, zip of provider files, recursively), a PDF's
    extracted text, else the bytes decoded."""
    if data[:4] == b"PK\x03\x04":
        parts = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for name in sorted(z.namelist()):
                    parts.append(f"== {name}\n{_binary_text(z.read(name))}")
        except zipfile.BadZipFile:
            return data.decode("utf-8", "replace")
        return "\n".join(parts)
    if data[:5] == b"%PDF-":
        return _pdf_text(data)
    return data.decode("utf-8", "replace")


_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), ""),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), ""),
    (re.compile(r'data-csrf-token="[^"]+"'), ""),
    (re.compile(r'nonce="[^"]+"'), ""),  # a CSP nonce, new on every response
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<datetime>"),
    (re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"), "<time>"),
]


def _normalise(text: str) -> str:
    for rx, repl in _VOLATILE:
        text = rx.sub(repl, text)
    return text


class Resp:
    __slots__ = ("status", "text", "location", "ctype")

    def __init__(self, r):
        self.status = r.status_code
        self.location = r.get("Location", "")
        self.ctype = r.get("Content-Type", "")
        self.text = _normalise(_binary_text(_body(r)))

    def key(self):
        return self.status, self.location, self.text


def _get(client, url, **headers) -> Resp:
    return Resp(client.get(url, headers=headers or None))


# --------------------------------------------------------------------------- harvesting links and forms

_HREF = re.compile(r'(?:href|hx-get|action|hx-post)="([^"#]*)"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_FIELD = re.compile(r"<(input|button|textarea)\b([^>]*)>", re.I)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_OPTION = re.compile(r"<option\b([^>]*)>", re.I)


def _attrs(s: str) -> dict[str, str]:
    return {k.lower(): htmllib.unescape(v) for k, v in _ATTR.findall(s)}


def _route_of(path: str) -> tuple[str, dict] | None:
    try:
        m = resolve(path)
    except Resolver404:
        return None
    return m.route, m.kwargs


def _links(text: str, base: str) -> list[str]:
    out = []
    for href in _HREF.findall(text):
        href = htmllib.unescape(href)
        if href.startswith("?"):
            href = urlsplit(base).path + href
        if href.startswith("/"):
            out.append(href)
    return out


def _forms(text: str, base: str):
    """(method, path, {name: [values]}) of each form in a page."""
    for attrs_s, inner in _FORM.findall(text):
        attrs = _attrs(attrs_s)
        method = (attrs.get("method") or "get").lower()
        action = attrs.get("action") or attrs.get("hx-post") or attrs.get("hx-get") or urlsplit(base).path
        if action.startswith("?"):
            action = urlsplit(base).path + action
        if not action.startswith("/"):
            continue
        fields: dict[str, list[str]] = defaultdict(list)
        for tag, a_s in _FIELD.findall(inner):
            a = _attrs(a_s)
            if a.get("name") and a.get("type") != "file":
                fields[a["name"]].append(a.get("value", ""))
        for s_attrs, opts in _SELECT.findall(inner):
            name = _attrs(s_attrs).get("name")
            if name:
                fields[name].extend(_attrs(o).get("value", "") for o in _OPTION.findall(opts))
        yield method, urlsplit(action).path, dict(fields)


# --------------------------------------------------------------------------- data

def _spread_primary_keys():
    """Move every app table's id sequence to its own range, so a primary key names one model only.
    Returns a callable that puts the sequences back (PostgreSQL sequences are not transactional)."""
    tables = sorted({m._meta.db_table for m in apps.get_models()
                     if m.__module__.startswith("ansinh.") and not m._meta.app_label == "units"
                     and isinstance(m._meta.pk, (models.AutoField, models.BigAutoField))})
    restore = []
    with connection.cursor() as cur:
        for k, table in enumerate(tables):
            base = 10_000_000 * (k + 1)
            if connection.vendor == "sqlite":
                cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [base, table])
                if cur.rowcount == 0:
                    cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, base])
            elif connection.vendor == "postgresql":
                cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                seq = cur.fetchone()[0]
                if seq:
                    cur.execute(f"SELECT last_value, is_called FROM {seq}")
                    restore.append((seq, *cur.fetchone()))
                    cur.execute("SELECT setval(%s, %s)", [seq, base])

    def back():
        with connection.cursor() as cur:
            for seq, last, called in restore:
                cur.execute("SELECT setval(%s, %s, %s)", [seq, last, called])
    return back


@contextlib.contextmanager
def _marker(text: str):
    old = [m.MARKER for m in FACTORY_MODULES]
    for m in FACTORY_MODULES:
        m.MARKER = text
    try:
        yield
    finally:
        for m, v in zip(FACTORY_MODULES, old, strict=True):
            m.MARKER = v


def _make(unit: AdminUnit, indexes, marker: str) -> dict[str, list]:
    made = defaultdict(list)
    with _marker(marker):
        for label in sorted(FACTORIES):
            for i in indexes:
                made[label].append(FACTORIES[label](unit, i))
    # the app's in-process caches (e.g. the coverage targets) must not hide the new rows
    for name, module in list(sys.modules.items()):
        if name.startswith("ansinh.") and callable(getattr(module, "clear_caches", None)):
            module.clear_caches()
    return made


def _objects(made: dict[str, list], unit: AdminUnit) -> dict[str, models.Model]:
    """One representative object per model (scoped models and the commune unit itself)."""
    out = {label: rows[0] for label, rows in made.items()}
    out["units.AdminUnit"] = unit
    return out


def _fk_values(obj) -> dict[str, object]:
    vals = {"pk": obj.pk}
    for f in obj._meta.concrete_fields:
        if f.is_relation and f.many_to_one:
            v = getattr(obj, f.attname)
            if v is not None:
                vals[f.attname] = v
    return vals


def snapshot(commune_ids) -> dict[str, list[dict]]:
    """Every row of every scoped model filed under these communes, all field values."""
    out = {}
    for m in scoped_models():
        path = getattr(m.ScopeMeta, "commune", None)
        if path:
            out[m._meta.label] = list(m._default_manager.filter(Q(**{f"{path}__in": commune_ids}))
                                      .order_by("pk").values())
    return out


def _diff(before: dict, after: dict) -> list[str]:
    out = []
    for label in before:
        b, a = before[label], after[label]
        if b != a:
            bk = {r["id"] if "id" in r else str(r): r for r in b}
            ak = {r["id"] if "id" in r else str(r): r for r in a}
            changed = [k for k in bk if k in ak and bk[k] != ak[k]]
            out.append(f"{label}: {len(set(ak) - set(bk))} new, {len(set(bk) - set(ak))} gone, "
                       f"{len(changed)} changed " + "; ".join(
                           str({f: (bk[k][f], ak[k][f]) for f in bk[k] if bk[k][f] != ak[k][f]}) for k in changed[:3]))
    return out


# --------------------------------------------------------------------------- the world (one per module)

class World:
    pass


def _openapi_queries(client: Client, a: AdminUnit, b: AdminUnit) -> dict[str, list[str]]:
    """Query strings for the API's GET routes from its OpenAPI document: every required parameter
    set, then each parameter with each value the matrix knows for its name."""
    doc = json.loads(client.get("/api/openapi.json").content)
    known = {"commune": [a.code, b.code], "status": ["all", "open"], "level": ["commune", "district", "province"],
             "province": ["20", OTHER_PROVINCE], "q": [MARKER], "limit": ["1000"], "address": [b.name],
             "map": ["old", "new"]}
    out = {}
    for path, ops in doc.get("paths", {}).items():
        op = ops.get("get")
        if not op:
            continue
        params = [p for p in op.get("parameters", []) if p.get("in") == "query"]
        base = {p["name"]: (known.get(p["name"]) or ["1"])[0] for p in params if p.get("required")}
        queries = ["?" + urlencode(base) if base else ""]
        for p in params:
            for v in known.get(p["name"], []):
                queries.append("?" + urlencode({**base, p["name"]: v}))
        route = path.lstrip("/").replace("{", "<").replace("}", ">")
        out[route] = list(dict.fromkeys(queries))
    return out


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomic = transaction.atomic()
        atomic.__enter__()
        restore = _spread_primary_keys()
        try:
            yield _build_world(media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            restore()


def _write_files(made, media: Path):
    for rows in made.values():
        for obj in rows:
            for f in obj._meta.concrete_fields:
                if isinstance(f, models.FileField):
                    name = getattr(obj, f.attname)
                    if name:
                        p = media / str(name)
                        p.parent.mkdir(parents=True, exist_ok=True)
                        p.write_bytes(b"%PDF-1.4\n% " + str(name).encode() + b"\n%%EOF\n")


def _build_world(media: Path) -> World:
    from ansinh.matching.models import MatchPair, MatchRun
    from ansinh.outreach.models import Task
    from ansinh.registry.models import Enrolment

    w = World()
    w.a, w.b = commune(A_CODE), commune(B_CODE)
    w.b_ids = sorted(scope_from_units([w.b]).commune_ids)

    # A's data, before anything is rendered.
    made_a = _make(w.a, A_RANGE, A_MARKER)
    _write_files(made_a, media)
    w.a_obj = _objects(made_a, w.a)

    users = {}
    org = Task.objects.filter(scope_commune=w.a).order_by("pk").first().recipient
    for name, (roles, where) in ROLE_SPECS.items():
        if roles is None:
            continue
        users[name] = upsert_user(f"matrix_{name}", None, roles=roles,
                                  unit_codes=[A_CODE if where == "A" else OTHER_PROVINCE],
                                  organisation=org if "outreach" in roles else None)
    User = get_user_model()
    root = User.objects.create(username="matrix_root", is_superuser=True, is_staff=True)
    w.clients = {}
    for name in ROLE_SPECS:
        c = Client(raise_request_exception=False)
        if name in users:
            c.force_login(users[name])
        w.clients[name] = c
    w.root = Client(raise_request_exception=False)
    w.root.force_login(root)

    # A pair filed under A that names a person of B (a cross-commune duplicate, issue 11 item 2):
    # B's person exists from the start, so only the rows made later are "B gets data".
    with _marker(MARKER):
        cross_person = FACTORIES["registry.Person"](w.b, 99)
    a_person = made_a["registry.Person"][0]
    w.cross_pair = MatchPair.objects.create(
        run=MatchRun.objects.create(province_code=w.a.province_code), person_a=a_person, person_b=cross_person,
        cluster=a_person.pk, match_probability=0.9, match_weight=9.0, contributions={"given": 4.0},
        scope_commune=w.a, province_code=w.a.province_code)
    Enrolment.objects.create(person=cross_person, category="5.5c", category_label=MARKER,
                             scope_commune=w.b, province_code=w.b.province_code)
    w.a_extra = {"matching.MatchPair": [w.cross_pair]}  # A's objects naming B's rows

    plain = [r for r in ROUTES if not _params(r)]
    with_args = [r for r in ROUTES if _params(r)]
    api_queries = _openapi_queries(w.root, w.a, w.b)

    # ---- probe (superuser, A's objects): which model each route serves; values of str parameters
    harvested_forms: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))  # route -> field -> values
    str_values: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

    def harvest(text, url):
        for link in _links(text, url):
            hit = _route_of(urlsplit(link).path)
            if hit:
                for k, v in hit[1].items():
                    if isinstance(v, str):
                        str_values[hit[0]][k].add(v)
        for method, path, fields in _forms(text, url):
            hit = _route_of(path)
            if hit and method == "post":
                for k, vs in fields.items():
                    harvested_forms[hit[0]][k].update(vs)

    for route in plain:
        r = _get(w.root, "/" + route)
        harvest(r.text, "/" + route)

    def candidates(route, obj):
        """Ways to fill a route's parameters from one object: each int parameter gets the object's
        primary key or one of its foreign keys; str parameters the values the pages use."""
        params = _params(route)
        vals = _fk_values(obj)
        choices = []
        for conv, name in params:
            if conv == "int":
                choices.append([(name, k) for k, v in vals.items() if isinstance(v, int)])
            elif conv == "uuid":
                choices.append([(name, "pk")] if isinstance(obj.pk, uuid.UUID) else [])
            else:
                choices.append([(name, "=" + v) for v in sorted(str_values[route][name] or {"x"})])
        ints = [i for i, (conv, _) in enumerate(params) if conv in ("int", "uuid")]
        for combo in itertools.product(*choices):
            # the object is the last id of the path; ids before it are its parents (foreign keys)
            if ints and combo[ints[-1]][1] == "pk" and all(combo[i][1] != "pk" for i in ints[:-1]):
                yield combo

    def url_for(route, obj, combo, ghost=False):
        vals = _fk_values(obj)
        if ghost:  # the same path naming an object that does not exist
            vals["pk"] = uuid.uuid4() if isinstance(obj.pk, uuid.UUID) else 1_999_999_999
        return _fill(route, {name: (src[1:] if src.startswith("=") else vals[src]) for name, src in combo})

    # int-only routes first (their pages show the str values), then the others
    w.serves: dict[str, list[tuple[str, tuple]]] = defaultdict(list)  # route -> [(model label, combo)]
    for route in sorted(with_args, key=lambda r: any(c == "str" for c, _ in _params(r))):
        for label, obj in sorted(w.a_obj.items()):
            for combo in candidates(route, obj):
                url = url_for(route, obj, combo)
                r = _get(w.root, url)
                if r.status != 404:
                    w.serves[route].append((label, combo))
                    if r.status == 200:
                        harvest(r.text, url)
    # routes no A object opened (e.g. an action only on a state A's rows are not in): every object
    w.unmapped = sorted(r for r in with_args if not w.serves[r])
    for route in w.unmapped:
        for label, obj in sorted(w.a_obj.items()):
            w.serves[route].extend((label, combo) for combo in candidates(route, obj))
    # routes showing an unscoped object (the administrative units) to a user whose scope is
    # another province are reference data (the unit pages and API)
    w.reference = set()
    for route, pairs in w.serves.items():
        for label, combo in pairs:
            if label == "units.AdminUnit" and any(
                    w.clients[role].get(url_for(route, w.a_obj[label], combo)).status_code == 200
                    for role, (_roles, where) in ROLE_SPECS.items() if where == "P"):
                w.reference.add(route)
    w.url_for, w.harvested_forms = url_for, harvested_forms

    # ---- GET variants of the plain routes, per role (from what that role's pages link to / submit)
    def variants(client, route):
        base = ["", f"?q={MARKER}"] + api_queries.get(route, [])
        return list(dict.fromkeys(base))

    w.read_urls: dict[str, dict[str, list[tuple[str, dict]]]] = {}
    w.before: dict[str, dict[tuple, tuple]] = {}
    for role, client in w.clients.items():
        urls: dict[str, list[tuple[str, dict]]] = {r: [("/" + r + q, {}) for q in variants(client, r)] for r in plain}
        for r in plain:
            urls[r].append(("/" + r, {"HX-Request": "true"}))
        found: dict[str, list[str]] = defaultdict(list)
        rendered = {}
        for r in plain:
            resp = _get(client, "/" + r)
            rendered[("/" + r, ())] = resp.key()
            if resp.status != 200:
                continue
            for link in _links(resp.text, "/" + r):
                parts = urlsplit(link)
                hit = _route_of(parts.path)
                if hit and not hit[1] and parts.query and hit[0] in urls:
                    found[hit[0]].append(link)
            for method, path, fields in _forms(resp.text, "/" + r):
                hit = _route_of(path)
                if method == "get" and hit and not hit[1] and fields and hit[0] in urls:
                    first = {k: next((v for v in vs if v), "") for k, vs in fields.items()}
                    found[hit[0]].append(path + "?" + urlencode(first))
                    for k, vs in fields.items():
                        for v in [v for v in vs if v][:4]:
                            found[hit[0]].append(path + "?" + urlencode({**first, k: v}))
        for r, links in found.items():
            extra = []
            for link in dict.fromkeys(links):
                extra.append(link)
                q = parse_qsl(urlsplit(link).query, keep_blank_values=True)
                swapped = [(k, {w.a.code: w.b.code, str(w.a.pk): str(w.b.pk)}.get(v, v)) for k, v in q]
                if swapped != q:
                    extra.append(urlsplit(link).path + "?" + urlencode(swapped))
            have = {u for u, _ in urls[r]}
            urls[r].extend((u, {}) for u in list(dict.fromkeys(extra))[:6] if u not in have)
        w.read_urls[role] = urls
        w.before[role] = {}
        for r, lst in urls.items():
            for u, h in lst:
                k = (u, tuple(sorted(h.items())))
                w.before[role].setdefault(r, {})[k] = rendered[k] if k in rendered else _get(client, u, **h).key()

    # ---- B gets data
    made_b = _make(w.b, range(N_B), MARKER)
    _write_files(made_b, media)
    w.b_obj = _objects(made_b, w.b)
    pks = [o.pk for label, o in w.b_obj.items() if label != "units.AdminUnit"]
    assert len(pks) == len(set(map(str, pks))), "primary keys of different models must not coincide"

    # what names B in an answer: its marker, the primary keys of its rows (ids are kept apart, see
    # _spread_primary_keys, so they cannot be confused with counts) and its people's ID numbers
    tokens = {MARKER} | {str(p) for rows in snapshot(w.b_ids).values() for r in rows for p in [r.get("id")]
                         if isinstance(p, int) and p >= 10_000_000}
    tokens |= {p.id_number for p in made_b["registry.Person"] if p.id_number}
    w.b_tokens = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(tokens, key=len, reverse=True))) + r")(?![\w-])")
    w.after = {role: {r: {k: _get(w.clients[role], k[0], **dict(k[1])).key() for k in keys}
                          for r, keys in w.before[role].items()} for role in w.clients}

    # ---- the form data: what the pages' forms carry, plus values pointing at the other commune
    w.sink_a, w.sink_b = _sink(w.a, w.a_obj, harvested_forms), _sink(w.b, w.b_obj, harvested_forms)
    w.plain = plain
    return w


def _sink(unit: AdminUnit, objs: dict, harvested) -> dict:
    """Form data for any POST route: every field name the pages' forms use (their first value),
    and the fields the views read, pointing at `unit`'s objects."""
    person = objs["registry.Person"]
    data = {}
    for fields in harvested.values():
        for k, vs in fields.items():
            if k != "csrfmiddlewaretoken":
                data.setdefault(k, next((v for v in sorted(vs) if v), "1"))
    for label, obj in objs.items():  # <model> and <model>_id fields
        name = label.split(".")[1].lower()
        data[name] = data[f"{name}_id"] = str(obj.pk)
    data.update({
        "field": "id_number", "value": person.id_number or "020099000001", "reason": "matrix", "note": "matrix",
        "unit": str(unit.pk), "commune": str(unit.pk), "scope": f"c:{unit.pk}", "province_code": unit.province_code,
        "issue": str(objs["registry.QualityIssue"].pk), "target": str(objs["accounts.Target"].pk),
        "person": str(person.pk), "run": str(objs["payroll.PayrollRun"].pk), "line": str(objs["payroll.PayrollLine"].pk),
        "organisation": str(objs["outreach.Directive"].organisation_id),
        "recipients": [str(objs["outreach.Task"].recipient_id)], "period": "2024-01", "due": "31/12/2030",
        "low": "10", "high": "20", "baseline": "5", "label": "matrix", "amount": "1000", "valid_from": "01/01/2031",
        "legal_basis": "matrix", "symbol": "M", "subject": "matrix", "task": "matrix", "body": "matrix",
        "period_start": "01/02/2024", "period_end": "28/02/2024", "notes": "matrix", "title": "matrix",
        "provider": "970405", "next": "/",
    })
    return data


def _files(objs: dict) -> dict:
    line, person = objs["payroll.PayrollLine"], objs["registry.Person"]
    csv = (f"line_id,person_id,id_number,full_name,amount,status,paid_date\n"
           f"{line.pk},{person.pk},{person.id_number},{person.full_name},540000,paid,2024-01-15\n").encode()
    return {k: SimpleUploadedFile(f"{k}.csv", csv, content_type="text/csv") for k in ("file", "result", "evidence")}


def _post_variants(w: World, route: str, sink: dict, objs: dict) -> list[dict]:
    """The sink, plus one variant per value of a field the route's forms send with several values
    (the buttons of a decision: action=keep_a / keep_b / reject ...)."""
    base = {**sink, **_files(objs)}
    out = [base]
    for name, values in sorted(w.harvested_forms.get(route, {}).items()):
        if name in ("csrfmiddlewaretoken", "next") or len(values) < 2 and name not in ("action", "delete"):
            continue
        others = [v for v in sorted(values) if v and v != base.get(name)]
        out.extend({**base, name: v} for v in (others if name == "action" else others[:3]))  # a few of a long list
    return out


def _api_bodies(w: World, route: str, own: dict, other: dict) -> list[dict]:
    """JSON bodies for the API's POST routes: the G2P callback naming runs/lines of both communes."""
    if "on-disburse" in route:
        return [{"transaction_id": f"ansinh-run-{run.pk}-2024-01",
                 "disbursements_status": [{"reference_id": f"line-{line.pk}", "status": st}]}
                for run in (own["payroll.PayrollRun"], other["payroll.PayrollRun"],
                            other["payroll.PayrollLine"].run)
                for line in (other["payroll.PayrollLine"],) for st in ("succ", "rjct")]
    return [{}]


# --------------------------------------------------------------------------- the tests

def _anonymous_ok(r: Resp) -> bool:
    return r.status == 401 or (r.status == 302 and r.location.startswith(settings.LOGIN_URL if "/" in settings.LOGIN_URL
                                                                         else "/login/"))


def _cases(kind: str):
    for role in ROLE_SPECS:
        for route in ROUTES:
            reason = XFAIL.get((kind, role, route))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(role, route, id=f"{role}:{route}", marks=marks)


CASES = Counter()  # (kind, role) -> cases executed


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "route"), list(_cases("reads")))
def test_reads(world, role, route):
    w, client, problems = world, world.clients[role], []
    if not _params(route):
        for key, before in w.before[role][route].items():
            after = w.after[role][route][key]
            CASES["reads", role] += 1
            if after != before and route not in SELF_RECORDING:
                problems.append(f"GET {key[0]} {dict(key[1]) or ''}: changed when commune B got data "
                                f"({before[0]} -> {after[0]})")
            if after[0] >= 500:
                problems.append(f"GET {key[0]}: {after[0]}")
            if w.b_tokens.search(after[2]) and MARKER not in key[0]:
                problems.append(f"GET {key[0]}: names commune B's data")
    else:
        for label, combo in w.serves[route]:
            url = w.url_for(route, w.b_obj[label], combo)
            r = _get(client, url)
            CASES["reads", role] += 1
            if w.b_tokens.search(r.text):
                problems.append(f"GET {url} ({label} of B): {r.status} names commune B's data")
            elif route in w.reference and label == "units.AdminUnit":
                pass  # reference data: shown or refused by role, never with B's rows (checked above)
            elif not (r.status == 404 or (role == "anonymous" and _anonymous_ok(r))):
                # or exactly the answer for an object that does not exist (a refusal by role, a
                # route that does not take GET), so that the answer does not confirm B's object
                ghost = _get(client, w.url_for(route, w.b_obj[label], combo, ghost=True))
                if not (r.status in (400, 401, 403, 405, 422)
                        and (r.status, r.location) == (ghost.status, ghost.location)):
                    problems.append(f"GET {url} ({label} of B): {r.status}, expected 404 "
                                    f"(as for an object that does not exist: {ghost.status})")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "route"), list(_cases("writes")))
def test_writes(world, role, route):
    w, client, problems = world, world.clients[role], []
    before = snapshot(w.b_ids)
    is_api = route.startswith("api/")

    def names_b(text: str) -> bool:
        return bool(w.b_tokens.search(text))

    def send(method, url, data, expect_refusal: bool, what: str):
        CASES["writes", role] += 1
        if is_api:
            resp = client.generic(method, url, json.dumps(data), content_type="application/json")
        elif method == "POST":
            resp = client.post(url, data)
        else:
            resp = client.generic(method, url)
        r = Resp(resp)
        if r.status >= 500:
            problems.append(f"{method} {url} {what}: {r.status}")
        if names_b(r.text):
            problems.append(f"{method} {url} {what}: the answer names commune B's data")
        if 300 <= r.status < 400 and role != "anonymous" and r.location.startswith("/"):
            follow = _get(client, r.location)
            if names_b(follow.text):
                problems.append(f"{method} {url} {what}: the page it leads to ({r.location}) names commune B's data")
        if expect_refusal and not (r.status in (400, 403, 404, 405, 422)
                                   or (role == "anonymous" and _anonymous_ok(r))):
            problems.append(f"{method} {url} {what}: {r.status}, expected a refusal (400/403/404/405)")

    methods = ["POST", "PUT", "PATCH", "DELETE"] if is_api else ["POST"]
    if not _params(route):
        for method in methods:
            bodies = (_api_bodies(w, route, w.a_obj, w.b_obj) if is_api and method == "POST"
                      else [{}] if method != "POST" else _post_variants(w, route, w.sink_b, w.b_obj))
            for data in bodies:
                send(method, "/" + route, data, False, "(form data naming B's objects)")
    else:
        for label, combo in w.serves[route]:
            if route in w.reference and label == "units.AdminUnit":
                continue
            for method in methods:
                other = w.url_for(route, w.b_obj[label], combo)
                owns = [w.url_for(route, o, combo) for o in [w.a_obj[label], *w.a_extra.get(label, [])]]
                if is_api or method != "POST":
                    a_bodies = b_bodies = _api_bodies(w, route, w.a_obj, w.b_obj) if is_api else [{}]
                else:
                    a_bodies = _post_variants(w, route, w.sink_b, w.b_obj)
                    b_bodies = _post_variants(w, route, w.sink_a, w.a_obj)
                for data in b_bodies:
                    send(method, other, data, True, f"({label} of B)")
                for own in owns:
                    for data in a_bodies:
                        send(method, own, data, False, f"({label} of A, form data naming B's objects)")
    changed = _diff(before, snapshot(w.b_ids))
    if changed:
        problems.append(f"{role} on {route} changed commune B's rows: " + " | ".join(changed))
    assert not problems, "\n".join(problems)


@pytest.mark.django_db  # keeps it after the matrix (pytest-django runs tests without the database last)
def test_case_count(world, capsys):
    """The number of (role, route, object) cases the matrix ran; a lower bound keeps it from
    shrinking silently (runs last in this module)."""
    total = sum(CASES.values())
    lines = [f"{role}: {CASES['reads', role]} reads, {CASES['writes', role]} writes" for role in ROLE_SPECS]
    with capsys.disabled():
        print(f"\nscope matrix: {total} (role, route, object) cases over {len(ROUTES)} routes, "
              f"{len(ROLE_SPECS)} roles; routes no A object opened: {', '.join(world.unmapped) or 'none'}")
        print("\n".join("  " + line for line in lines))
    if len(CASES) == 2 * len(ROLE_SPECS):  # the whole matrix ran (not a -k selection)
        assert total >= MIN_CASES
