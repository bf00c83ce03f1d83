"""Where a listed person lives: a row's address (or the list's commune) resolved to the unit as
written (possibly an old-map commune) and the current commune, with the units of both maps
cached in memory for an import (:func:`unit_maps`), settled within the province of the list."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ansinh.core.jobs import BadInput
from ansinh.core.scope import scope_for, scope_from_units
from ansinh.registry.models import Person
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level


class Units:
    """Code -> unit id maps over the resolver's in-memory units (old and new map)."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.by_id = resolver.units
        self.old: dict[str, int] = {}
        self.new: dict[str, int] = {}
        for u in resolver.units.values():
            if u.level == Level.PROVINCE:
                continue
            target = self.new if u.is_new else self.old
            # communes win over districts (island districts act as communes; codes do not collide)
            if u.code not in target or u.level == Level.COMMUNE:
                target[u.code] = u.id

    def id_of(self, d: dict | None, new: bool) -> int | None:
        if not d:
            return None
        return (self.new if new else self.old).get(d.get("code"))

    def province_of(self, unit_id: int | None) -> str:
        u = self.by_id.get(unit_id) if unit_id else None
        return u.province_code if u else ""

    def label(self, unit_id: int | None) -> str:
        u = self.by_id.get(unit_id) if unit_id else None
        return f"{u.code} {u.name}" if u else ""


_UNITS_CACHE: dict[int, Units] = {}


def unit_maps() -> Units:
    from ansinh.units.resolver import Resolver

    r = Resolver.from_db()
    u = _UNITS_CACHE.get(id(r))
    if u is None or u.resolver is not r:
        _UNITS_CACHE.clear()
        u = _UNITS_CACHE[id(r)] = Units(r)
    return u


@dataclass
class Residence:
    status: str  # exact | converted | ambiguous | not_found
    residence_id: int | None = None  # unit as written/resolved (may be old-map)
    commune_id: int | None = None  # current commune
    candidates: list[dict] = field(default_factory=list)  # [{"id", "code", "name"}]
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.commune_id is not None


class ResidenceResolver:
    """Resolves a row's address/village (+ the list's commune) to units, with a cache."""

    def __init__(self, units: Units, province_codes: frozenset[str], province_name: str, hint_texts: list[str]):
        self.units = units
        self.province_codes = province_codes
        self.province_name = province_name
        self.today = dt.date.today()
        self.cache: dict[str, Residence] = {}
        self.file = self._first(hint_texts) if hint_texts else Residence("not_found", reason="no hint")

    def _raw(self, text: str) -> dict:
        return self.units.resolver.resolve(text, self.today)

    def _convert(self, res: dict) -> Residence:
        u = self.units
        st = res.get("status")
        if st == "exact":
            new = u.id_of(res.get("new"), True)
            if new:
                return Residence("exact", new, new)
            old = u.id_of(res.get("old"), False)
            return Residence("exact", old, None) if old else Residence("not_found")
        if st == "converted":
            return Residence("converted", u.id_of(res.get("old"), False), u.id_of(res.get("new"), True))
        if st == "ambiguous":
            cands = []
            for c in res.get("candidates") or []:
                is_old = "district" in c
                cid = u.id_of(c, not is_old)
                if cid:
                    cands.append({"id": cid, "code": c.get("code"), "name": c.get("name"),
                                  "province": c.get("province"), "old": is_old})
            return Residence("ambiguous", u.id_of(res.get("old"), False), None, cands)
        return Residence("not_found", reason=res.get("reason", ""))

    def _in_context(self, unit_id: int | None) -> bool:
        return not self.province_codes or self.units.province_of(unit_id) in self.province_codes

    def _narrow(self, r: Residence) -> Residence:
        """Same-name units in several provinces: keep those of the context province."""
        if r.status != "ambiguous" or r.residence_id or not self.province_codes:
            return r
        inside = [c for c in r.candidates if self.units.province_of(c["id"]) in self.province_codes]
        if len(inside) == 1:
            c = inside[0]
            if not c["old"]:
                return Residence("exact", c["id"], c["id"])
            return self.resolve_text(f"{c['name']}, {self.units.by_id[c['id']].province.name}")
        if inside and len(inside) < len(r.candidates):
            return Residence("ambiguous", None, None, inside)
        return r

    def resolve_text(self, text: str) -> Residence:
        hit = self.cache.get(text)
        if hit is None:
            hit = self._narrow(self._convert(self._raw(text)))
            self.cache[text] = hit
        return hit

    def _acceptable(self, r: Residence) -> bool:
        if r.status == "not_found":
            return False
        unit = r.commune_id or r.residence_id or (r.candidates[0]["id"] if r.candidates else None)
        return self._in_context(unit)

    def _first(self, texts: list[str]) -> Residence:
        """The first text that names one unit (a current commune, or an old one even if split)."""
        for t in texts:
            if not t:
                continue
            r = self.resolve_text(t)
            if self._acceptable(r) and (r.resolved or r.residence_id):
                return r
        return Residence("not_found")

    def for_row(self, address: str | None) -> Residence:
        """The row's residence. An address names a commune of its own only with a type word
        ("xã …", "P. …"); otherwise (a village, a hamlet) the person lives in the list's commune."""
        if address and (self.file.status == "not_found" or _TYPE_WORD.search(fold(address))):
            texts = [address] + ([f"{address}, {self.province_name}"] if self.province_name else [])
            for text in texts:
                r = self.resolve_text(text)
                if r.status in ("exact", "converted") and self._in_context(r.commune_id or r.residence_id):
                    return r
                if r.status == "ambiguous" and r.residence_id and self._in_context(r.residence_id):
                    return r  # an old commune that was split
        return self.file


_TYPE_WORD = re.compile(r"(^|[\s,.;\-])(XA|PHUONG|THI TRAN|TT|TTR|P|X|F|DAC KHU)(\.|\s)")


_PROVINCE_CONTEXT: dict[str, tuple[frozenset[str], str]] = {}


def province_context(user, province: str | None) -> tuple[frozenset[str], str]:
    """(province codes of both maps, display name) used to settle same-name communes."""
    if province:  # the user plays no part then
        key = str(province).zfill(2)
        if key not in _PROVINCE_CONTEXT:
            _PROVINCE_CONTEXT[key] = _province_context_uncached(None, province)
        return _PROVINCE_CONTEXT[key]
    return _province_context_uncached(user, province)


def _province_context_uncached(user, province: str | None) -> tuple[frozenset[str], str]:
    units: list[AdminUnit] = []
    if province:
        u = AdminUnit.objects.filter(level=Level.PROVINCE, code=str(province).zfill(2)).order_by(
            "-valid_from").first()
        if u is None:
            raise BadInput(f"không có tỉnh mã {province!r}")
        units = [u]
    else:
        scope = scope_for(user)
        codes = set(scope.province_codes)
        if not codes and scope.commune_ids:
            codes = set(AdminUnit.objects.filter(pk__in=scope.commune_ids, valid_to__isnull=True)
                        .values_list("province_code", flat=True))
        if len(codes) == 1:
            u = AdminUnit.objects.filter(level=Level.PROVINCE, province_code=codes.pop(),
                                         valid_to__isnull=True).first()
            units = [u] if u else []
    if not units:
        return frozenset(), ""
    return scope_from_units(units).province_codes | {units[0].province_code}, units[0].name


_DISTRICT_LINE = re.compile(r"\b(HUYEN|THI XA|THANH PHO|QUAN)\s+([A-Z0-9 ]+)$")


def hint_texts(parsed, province_name: str) -> list[str]:
    """Texts naming the list's commune, most specific first: the title's "UBND XÃ …" (with the
    district of an "UBND HUYỆN …" line), title lines naming a commune, then the file name."""
    hint = parsed.commune_hint or ""
    district = ""
    for line in parsed.title_lines:
        k = " ".join(fold(line).split())
        m = re.search(r"\bUBND\s+(HUYEN|THI XA|THANH PHO|QUAN)\s+(.+)$", k)
        if m and not district:
            words = line.split()
            n = len(m.group(2).split())
            district = f"{m.group(1).title()} {' '.join(words[-n:])}" if n <= len(words) else ""
    out = []
    tail = f", {province_name}" if province_name else ""
    if hint:
        if district:
            out.append(f"{hint}, {district}{tail}")
        out.append(f"{hint}{tail}")
        out.append(hint)
    for line in parsed.title_lines:  # "Xã Hồng Phong, Huyện Bình Gia"; "DANH SÁCH … - XÃ HỒNG PHONG"
        part = re.sub(r"\([^)]*\)", " ", line.split(" - ")[-1])
        kp = fold(part)
        if re.search(r"\b(XA|PHUONG|THI TRAN)\b", kp) and "XA HOI" not in kp:
            out.append(f"{part}{tail}")
    # "DS_TCXH_xa_Lien_Son_T01-2024.xlsx", "187_06502_lien_son.csv": words without digits
    stem = " ".join(w for w in re.split(r"[\s_\-.,]+", Path(parsed.file).stem) if w and not any(c.isdigit() for c in w))
    if stem:
        out.append(f"{stem}{tail}")
    return out



def resolve_for_person(person: Person, text: str) -> AdminUnit | None:
    """The current commune an address names (within the person's province when known)."""
    province = None
    if person.province_code:
        prov = AdminUnit.objects.filter(level=Level.PROVINCE, province_code=person.province_code).order_by(
            "-valid_from").first()
        province = prov.code if prov else None
    codes, pname = province_context(None, province) if province else (frozenset(), "")
    res = ResidenceResolver(unit_maps(), codes, pname, [])
    for t in (text, f"{text}, {pname}" if pname else ""):
        if t:
            r = res.resolve_text(t)
            if r.commune_id and res._in_context(r.commune_id):
                return AdminUnit.objects.filter(pk=r.commune_id).first()
    return None

