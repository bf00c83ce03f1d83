"""JSON API (django-ninja; OpenAPI at /api/openapi.json, docs at /api/docs).

Session authentication for the web's own use; every read of scoped data goes
through ansinh.core.scope. Dates ISO.
"""
from __future__ import annotations

import datetime as dt
import uuid

from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from ansinh.core import selectors as core_selectors
from ansinh.core.jobs import job_summary
from ansinh.core.roles import roles_of
from ansinh.core.scope import scope_for
from ansinh.units.models import AdminUnit

api = NinjaAPI(title="ansinh API", version="1", auth=django_auth, urls_namespace="api")

core = Router(tags=["core"])
units = Router(tags=["units"])


class MeOut(Schema):
    username: str
    roles: list[str]
    organisation: str | None
    scope_everything: bool
    scope_provinces: list[str]
    scope_commune_count: int


@core.get("/me", response=MeOut)
def me(request):
    scope = scope_for(request.user)
    org = core_selectors.organisation_of(request.user)
    return {"username": request.user.username, "roles": sorted(roles_of(request.user)),
            "organisation": org.name if org else None, "scope_everything": scope.everything,
            "scope_provinces": sorted(scope.province_codes), "scope_commune_count": len(scope.commune_ids)}


class JobOut(Schema):
    id: str
    kind: str
    title: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    error: str
    result: dict


@core.get("/jobs", response=list[JobOut])
def jobs(request, limit: int = 50):
    return [job_summary(j) for j in core_selectors.recent_jobs(request.user, limit=min(limit, 500))]


@core.get("/jobs/{job_id}", response=JobOut)
def job(request, job_id: uuid.UUID):
    j = core_selectors.job_for(request.user, job_id)
    if j is None:
        raise HttpError(404, "not found")
    return job_summary(j)


class UnitRef(Schema):
    code: str
    name: str
    district: str | None = None
    province: str | None = None


class ResolveOut(Schema):
    input: str
    status: str
    old: UnitRef | None
    new: UnitRef | None
    candidates: list[dict]
    reason: str | None = None


@units.get("/resolve", response=ResolveOut)
def resolve(request, address: str, on: dt.date | None = None):
    from ansinh.units.resolver import resolve_address

    return resolve_address(address, on=on)


class UnitOut(Schema):
    id: int
    code: str
    name: str
    level: int
    province_code: str
    parent_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    lat: float | None
    lon: float | None


@units.get("/{unit_id}", response=UnitOut)
def unit(request, unit_id: int):
    return get_object_or_404(AdminUnit, pk=unit_id)


api.add_router("/", core)
api.add_router("/units", units)

# Domain apps contribute routers as `ansinh.<app>.api.router`, mounted at /api/<app>/.
for _app in ("registry", "matching", "accounts", "payroll", "outreach", "complaints"):
    try:
        _module = __import__(f"ansinh.{_app}.api", fromlist=["router"])
    except ModuleNotFoundError as _exc:
        if _exc.name != f"ansinh.{_app}.api":
            raise
        continue
    api.add_router(f"/{_app}", _module.router)
