"""Load the administrative units of Vietnam (both maps) and their 2025 successions.

Source: the PyPI package ``vietnamadminunits`` (pinned in pyproject), read with the
standard library from its installed data files, no network:

* ``data/dataset.db`` table ``admin_units_legacy``: the 63-province three-level map
  (valid until 2025-06-30; 10,035 communes in 696 districts, plus 5 island districts
  that have no communes and therefore appear as a row with an empty ward);
* ``data/dataset.db`` table ``admin_units``: the 34-province two-level map (from 2025-07-01);
* ``data/converter_2025.json``: which old province/commune became which new one
  (``DICT_PROVINCE``, ``DICT_PROVINCE_WARD_NO_DIVIDED`` = whole,
  ``DICT_PROVINCE_WARD_DIVIDED`` = split, with the source's default new commune).

Rows are identified by (code, level, valid_from) because the reform reused codes.
The load is set-based (bulk_create / bulk_update in large batches), idempotent
(a checksum of the source files plus ``LOADER_REVISION``; the same checksum changes
nothing) and runs inside one transaction. A changed source updates rows in place
(never deletes a unit: other tables point at them) and replaces our successions.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q

from ansinh.text import fold
from ansinh.units.models import OLD_MAP_LAST_DAY, REFORM_DATE, AdminUnit, DataSource, Level, UnitSuccession

SOURCE_NAME = "vietnamadminunits"
# Bump when the rows this loader derives from the same source files change.
LOADER_REVISION = "2"
BATCH = 2000

UNIT_FIELDS = ("name", "short_name", "kind", "parent_id", "province_code", "valid_to", "lat", "lon", "name_key",
               "source")

# "Chi Lăng (Thị trấn)": the package disambiguates a few short names with the kind.
_KIND_SUFFIX_RE = re.compile(r"\s*\((?:Thị trấn|Xã|Phường|Huyện|Quận|Thị xã|Thành phố|Tỉnh|Đặc khu)\)\s*$")


def clean_short_name(short: str) -> str:
    return _KIND_SUFFIX_RE.sub("", " ".join((short or "").split()))


def source_dir() -> Path:
    # Located without importing the package (its import builds parsers: ~1 s).
    spec = importlib.util.find_spec(SOURCE_NAME)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the package {SOURCE_NAME} is not installed")
    return Path(list(spec.submodule_search_locations)[0]).resolve() / "data"


def source_version() -> str:
    return importlib.metadata.version(SOURCE_NAME)


def source_checksum(data_dir: Path | None = None) -> str:
    data_dir = data_dir or source_dir()
    h = hashlib.sha256()
    h.update(f"{SOURCE_NAME}:{source_version()}:loader{LOADER_REVISION}\n".encode())
    for name in ("dataset.db", "converter_2025.json"):
        with open(data_dir / name, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# Reading the source into plain rows
# --------------------------------------------------------------------------

Identity = tuple  # (code, level, valid_from)


@dataclass
class Row:
    code: str
    level: int
    valid_from: Any
    valid_to: Any
    name: str
    short_name: str
    kind: str
    province_code: str
    lat: float | None
    lon: float | None
    parent: Identity | None = None

    @property
    def identity(self) -> Identity:
        return (self.code, self.level, self.valid_from)


@dataclass
class SourceData:
    provinces: list[Row] = field(default_factory=list)
    districts: list[Row] = field(default_factory=list)
    communes: list[Row] = field(default_factory=list)
    # (predecessor identity, successor identity, kind, is_default)
    successions: list[tuple[Identity, Identity, str, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def _kind_name(name: str, kind: str | None) -> str:
    """"Thị Xã Mường Lay" -> "Thị xã Mường Lay": the name starts with its kind as spelled in the kind."""
    name = " ".join((name or "").split())
    if kind and name.lower().startswith(kind.lower() + " "):
        return kind + name[len(kind):]
    return name


def _province_kind(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def read_source(data_dir: Path | None = None) -> SourceData:
    data_dir = data_dir or source_dir()
    con = sqlite3.connect(f"file:{data_dir / 'dataset.db'}?mode=ro&immutable=1", uri=True)
    con.row_factory = sqlite3.Row
    try:
        legacy = [dict(r) for r in con.execute("SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")]
        current = [dict(r) for r in con.execute("SELECT * FROM admin_units ORDER BY provinceCode, wardCode")]
    finally:
        con.close()
    with open(data_dir / "converter_2025.json", encoding="utf-8") as fh:
        conv = json.load(fh)

    out = SourceData()
    old_prov_by_key: dict[str, Identity] = {}
    new_prov_by_key: dict[str, Identity] = {}
    old_by_composite: dict[str, Identity] = {}
    new_by_key: dict[tuple[str, str], Identity] = {}
    seen_old_prov: set[str] = set()
    seen_district: set[tuple[str, str]] = set()
    leaf_districts: list[Identity] = []

    # Old map: provinces, districts, communes.
    for r in legacy:
        pcode = r["provinceCode"]
        p_ident = (pcode, Level.PROVINCE, None)
        if pcode not in seen_old_prov:
            seen_old_prov.add(pcode)
            out.provinces.append(Row(pcode, Level.PROVINCE, None, OLD_MAP_LAST_DAY, r["province"], r["provinceShort"],
                                     _province_kind(r["province"]), pcode, r["provinceLat"], r["provinceLon"]))
            old_prov_by_key[r["provinceKey"]] = p_ident
        d_ident = (r["districtCode"], Level.DISTRICT, None)
        if (pcode, r["districtCode"]) not in seen_district:
            seen_district.add((pcode, r["districtCode"]))
            out.districts.append(Row(r["districtCode"], Level.DISTRICT, None, OLD_MAP_LAST_DAY, _kind_name(r["district"], r["districtType"]),
                                     clean_short_name(r["districtShort"]), r["districtType"], pcode,
                                     r["districtLat"], r["districtLon"], parent=p_ident))
        composite = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        if not r["wardCode"]:
            # A district without communes (island districts): it is its own leaf.
            leaf_districts.append(d_ident)
            target = d_ident
        else:
            target = (r["wardCode"], Level.COMMUNE, None)
            out.communes.append(Row(r["wardCode"], Level.COMMUNE, None, OLD_MAP_LAST_DAY,
                                    _kind_name(r["ward"], r["wardType"]), clean_short_name(r["wardShort"]), r["wardType"], pcode, r["wardLat"],
                                    r["wardLon"], parent=d_ident))
        if composite in old_by_composite:
            out.problems.append(f"old key {composite} is not unique ({old_by_composite[composite][0]}, {target[0]})")
        old_by_composite[composite] = target

    # New map: provinces, communes.
    seen_new_prov: set[str] = set()
    for r in current:
        pcode = r["provinceCode"]
        p_ident = (pcode, Level.PROVINCE, REFORM_DATE)
        if pcode not in seen_new_prov:
            seen_new_prov.add(pcode)
            out.provinces.append(Row(pcode, Level.PROVINCE, REFORM_DATE, None, r["province"], r["provinceShort"],
                                     _province_kind(r["province"]), pcode, r["provinceLat"], r["provinceLon"]))
            new_prov_by_key[r["provinceKey"]] = p_ident
        ident = (r["wardCode"], Level.COMMUNE, REFORM_DATE)
        out.communes.append(Row(r["wardCode"], Level.COMMUNE, REFORM_DATE, None,
                                _kind_name(r["ward"], r["wardType"]), clean_short_name(r["wardShort"]), r["wardType"], pcode, r["wardLat"], r["wardLon"],
                                parent=p_ident))
        key = (r["provinceKey"], r["wardKey"])
        if key in new_by_key:
            out.problems.append(f"new key {key[0]}_{key[1]} is not unique ({new_by_key[key][0]}, {r['wardCode']})")
        new_by_key[key] = ident

    # Keys the package had to disambiguate (same toneless key in one district/province):
    # it keeps the marks in those keys, so composite keys stay unique; we report them.
    out.notes["old_keys_disambiguated_by_marks"] = sorted(
        f"{r['wardCode']} {r['ward']} ({r['district']}, {r['province']})" for r in legacy if r["wardKeyDuplicated"])
    out.notes["new_keys_disambiguated_by_marks"] = sorted(
        f"{r['wardCode']} {r['ward']} ({r['province']})" for r in current if r["wardKeyDuplicated"])

    # Province successions (every old province went whole into one new province).
    for new_key, old_keys in conv["DICT_PROVINCE"].items():
        succ = new_prov_by_key.get(new_key)
        if succ is None:
            out.problems.append(f"DICT_PROVINCE: unknown new province {new_key}")
            continue
        for old_key in old_keys:
            pred = old_prov_by_key.get(old_key)
            if pred is None:
                out.problems.append(f"DICT_PROVINCE: unknown old province {old_key}")
                continue
            out.successions.append((pred, succ, "whole", True))

    # Commune successions.
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, olds in wards.items():
            succ = new_by_key.get((new_pkey, new_wkey))
            if succ is None:
                out.problems.append(f"NO_DIVIDED: unknown new commune {new_pkey}_{new_wkey}")
                continue
            for composite in olds:
                pred = old_by_composite.get(composite)
                if pred is None:
                    out.problems.append(f"NO_DIVIDED: unknown old commune {composite}")
                    continue
                out.successions.append((pred, succ, "whole", True))
    for new_pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for composite, news in olds.items():
            pred = old_by_composite.get(composite)
            if pred is None:
                out.problems.append(f"DIVIDED: unknown old commune {composite}")
                continue
            for item in news:
                succ = new_by_key.get((new_pkey, item["newWardKey"]))
                if succ is None:
                    out.problems.append(f"DIVIDED: unknown new commune {new_pkey}_{item['newWardKey']}")
                    continue
                out.successions.append((pred, succ, "split", bool(item.get("isDefaultNewWard"))))

    # Source-level checks: every old commune (and commune-less district) has successors,
    # whole means exactly one, split means several with one default; no duplicates.
    by_pred: dict[Identity, list[tuple[Identity, str, bool]]] = defaultdict(list)
    for pred, succ, kind, default in out.successions:
        by_pred[pred].append((succ, kind, default))
    for pred, items in by_pred.items():
        kinds = {k for _, k, _ in items}
        succs = [s for s, _, _ in items]
        if len(set(succs)) != len(succs):
            out.problems.append(f"{pred[0]}: duplicated successor")
        if len(kinds) > 1:
            out.problems.append(f"{pred[0]}: both whole and split successions")
        elif kinds == {"whole"} and len(items) != 1 and pred[1] != Level.PROVINCE:
            out.problems.append(f"{pred[0]}: whole succession into {len(items)} units")
        elif kinds == {"split"}:
            if len(items) < 2:
                out.problems.append(f"{pred[0]}: split into only one unit")
            if sum(1 for _, _, d in items if d) != 1:
                out.problems.append(f"{pred[0]}: split without exactly one default successor")
    for row in out.communes:
        if row.valid_from is None and row.identity not in by_pred:
            out.problems.append(f"old commune {row.code} {row.name} has no successor")
    for ident in leaf_districts:
        if ident not in by_pred:
            out.problems.append(f"district without communes {ident[0]} has no successor")
    for row in out.provinces:
        if row.valid_from is None and row.identity not in by_pred:
            out.problems.append(f"old province {row.code} {row.name} has no successor")
    out.notes["districts_without_communes"] = [i[0] for i in leaf_districts]
    return out


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _insert_many(model, columns: list[str], rows: list[tuple], progress=None) -> None:
    """Plain INSERT with executemany in large batches (no per-object overhead)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table), ", ".join(qn(model._meta.get_field(c).column) for c in columns),
        ", ".join(["%s"] * len(columns)))
    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i:i + BATCH])
            if progress:
                progress.advance(len(rows[i:i + BATCH]))


def _date(value):
    return connection.ops.adapt_datefield_value(value)


def _identity_map(level: int) -> dict[Identity, int]:
    return {(c, level, vf): pk for pk, c, vf in AdminUnit.objects.filter(level=level).values_list("id", "code", "valid_from")}


def _write_units(rows: list[Row], parent_ids: dict[Identity, int], source: str, stats: dict, progress) -> dict[Identity, int]:
    level = rows[0].level
    existing = {}
    for values in AdminUnit.objects.filter(level=level).values_list("id", "code", "valid_from", *UNIT_FIELDS):
        pk, code, vf, *rest = values
        existing[(code, level, vf)] = (pk, tuple(rest))
    to_create, to_update = [], []
    for row in rows:
        parent_id = parent_ids[row.parent] if row.parent else None
        values = (row.name, row.short_name, row.kind, parent_id, row.province_code, row.valid_to, row.lat, row.lon,
                  fold(row.short_name), source)
        have = existing.get(row.identity)
        if have is None:
            to_create.append((row.code, int(row.level), _date(row.valid_from), *values[:5], _date(row.valid_to),
                              *values[6:]))
        elif have[1] != values:
            to_update.append(AdminUnit(pk=have[0], **dict(zip(UNIT_FIELDS, values))))
    _insert_many(AdminUnit, ["code", "level", "valid_from", *UNIT_FIELDS], to_create, progress)
    for i in range(0, len(to_update), BATCH):
        AdminUnit.objects.bulk_update(to_update[i:i + BATCH], UNIT_FIELDS, batch_size=500)
        if progress:
            progress.advance(len(to_update[i:i + BATCH]))
    if progress:
        progress.advance(len(rows) - len(to_create) - len(to_update))
    stats["units_created"] += len(to_create)
    stats["units_updated"] += len(to_update)
    wanted = {r.identity for r in rows}
    stats["units_not_in_source"] += sum(1 for k in existing if k not in wanted)
    return _identity_map(level)


def _write_successions(src: SourceData, ids: dict[Identity, int], source: str, stats: dict, progress) -> None:
    wanted: dict[tuple[int, int], tuple[str, bool]] = {}
    for pred, succ, kind, default in src.successions:
        wanted[(ids[pred], ids[succ])] = (kind, default)
    existing = {}
    for pk, p, s, kind, default, eff, src_name in UnitSuccession.objects.values_list(
            "id", "predecessor_id", "successor_id", "kind", "is_default", "effective", "source"):
        if eff == REFORM_DATE:
            existing[(p, s)] = (pk, kind, default, src_name)
    to_create, to_update, to_delete = [], [], []
    for key, (kind, default) in wanted.items():
        have = existing.get(key)
        if have is None:
            to_create.append((key[0], key[1], _date(REFORM_DATE), kind, default, source))
        elif have[1:] != (kind, default, source):
            to_update.append(UnitSuccession(pk=have[0], kind=kind, is_default=default, source=source))
    for key, have in existing.items():
        if key not in wanted and have[3].startswith(SOURCE_NAME):
            to_delete.append(have[0])
    _insert_many(UnitSuccession, ["predecessor_id", "successor_id", "effective", "kind", "is_default", "source"],
                 to_create, progress)
    if to_update:
        UnitSuccession.objects.bulk_update(to_update, ["kind", "is_default", "source"], batch_size=500)
    for i in range(0, len(to_delete), 500):
        UnitSuccession.objects.filter(pk__in=to_delete[i:i + 500]).delete()
    if progress:
        progress.advance(len(wanted) - len(to_create))
    stats["successions_created"] = len(to_create)
    stats["successions_updated"] = len(to_update)
    stats["successions_deleted"] = len(to_delete)


def verify_loaded() -> list[str]:
    """Checks on what is in the database (not only the source): every old commune has
    successors, whole = exactly one, split = two or more with one default."""
    problems = []
    old_communes = AdminUnit.objects.filter(level=Level.COMMUNE, valid_to=OLD_MAP_LAST_DAY)
    orphans = old_communes.annotate(n=Count("successions")).filter(n=0)
    for u in orphans[:50]:
        problems.append(f"old commune {u.code} {u.name} has no successor")
    n_orphans = orphans.count()
    if n_orphans > 50:
        problems.append(f"... {n_orphans - 50} more old communes without successor")
    bad_whole = old_communes.annotate(
        w=Count("successions", filter=Q(successions__kind="whole")),
        s=Count("successions", filter=Q(successions__kind="split")),
        d=Count("successions", filter=Q(successions__kind="split", successions__is_default=True)),
    ).filter(Q(w__gt=1) | (Q(w=1) & Q(s__gt=0)) | (Q(s__gt=0) & ~Q(d=1)) | Q(s=1))
    for u in bad_whole[:50]:
        problems.append(f"old commune {u.code} {u.name}: inconsistent successions")
    return problems


def load_units(progress=None) -> dict:
    """Load or refresh both maps and the successions. Returns counts; ``changed`` is
    False when the same source (same checksum) was already loaded."""
    data_dir = source_dir()
    version = source_version()
    checksum = source_checksum(data_dir)
    existing = DataSource.objects.filter(name=SOURCE_NAME).first()
    if existing is not None and existing.checksum == checksum:
        counts = dict(existing.counts)
        counts["changed"] = False
        if progress:
            progress.set_total(1, "đã nạp trước đó, không thay đổi")
            progress.advance(1)
        return counts

    if progress:
        progress.set_total(1, "đọc dữ liệu nguồn")
    src = read_source(data_dir)
    source = f"{SOURCE_NAME} {version}"
    total = len(src.provinces) + len(src.districts) + len(src.communes) + len(src.successions)
    if progress:
        progress.set_total(total, "ghi đơn vị hành chính")
        progress.update(0)
    stats = defaultdict(int)
    with transaction.atomic():
        prov_rows = src.provinces
        ids: dict[Identity, int] = {}
        ids.update(_write_units(prov_rows, {}, source, stats, progress))
        ids.update(_write_units(src.districts, ids, source, stats, progress))
        ids.update(_write_units(src.communes, ids, source, stats, progress))
        if progress:
            progress.update(progress.done, "ghi quan hệ kế thừa")
        _write_successions(src, ids, source, stats, progress)
        problems = src.problems + verify_loaded()
        counts = {
            "version": version,
            "provinces_old": sum(1 for r in src.provinces if r.valid_from is None),
            "provinces_new": sum(1 for r in src.provinces if r.valid_from is not None),
            "districts": len(src.districts),
            "communes_old": sum(1 for r in src.communes if r.valid_from is None),
            "communes_new": sum(1 for r in src.communes if r.valid_from is not None),
            "successions": len(src.successions),
            "successions_whole": sum(1 for s in src.successions if s[2] == "whole"),
            "successions_split": sum(1 for s in src.successions if s[2] == "split"),
            "split_communes": len({s[0] for s in src.successions if s[2] == "split"}),
            **stats,
            "problems": problems,
            "notes": src.notes,
        }
        DataSource.objects.update_or_create(
            name=SOURCE_NAME, defaults={"version": version, "checksum": checksum, "counts": counts})
    if progress:
        progress.update(total, "xong")
    return {**counts, "changed": True}
