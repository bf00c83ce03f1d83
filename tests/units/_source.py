"""Expectations read straight from the vietnamadminunits package files (not from our DB)."""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

LS = "tinhlangson"


def data_dir() -> Path:
    spec = find_spec("vietnamadminunits")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


@lru_cache(maxsize=1)
def converter() -> dict:
    return json.loads((data_dir() / "converter_2025.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def tables() -> tuple[list[dict], list[dict]]:
    con = sqlite3.connect(f"file:{data_dir() / 'dataset.db'}?mode=ro&immutable=1", uri=True)
    con.row_factory = sqlite3.Row
    try:
        legacy = [dict(r) for r in con.execute("SELECT * FROM admin_units_legacy")]
        new = [dict(r) for r in con.execute("SELECT * FROM admin_units")]
    finally:
        con.close()
    return legacy, new


def ls_old() -> list[dict]:
    return [r for r in tables()[0] if r["provinceKey"] == LS and r["wardCode"]]


def ls_new() -> list[dict]:
    return [r for r in tables()[1] if r["provinceKey"] == LS]


def composite(r: dict) -> str:
    return f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"


def ls_whole() -> list[tuple[dict, dict]]:
    """(old ward row, new ward row) for every old Lạng Sơn commune that went whole."""
    new_by_key = {r["wardKey"]: r for r in ls_new()}
    old_by_comp = {composite(r): r for r in ls_old()}
    out = []
    for new_key, olds in converter()["DICT_PROVINCE_WARD_NO_DIVIDED"][LS].items():
        for comp in olds:
            out.append((old_by_comp[comp], new_by_key[new_key]))
    return sorted(out, key=lambda t: t[0]["wardCode"])


def ls_split() -> dict[str, tuple[dict, list[dict]]]:
    """old composite key -> (old row, [new rows, default first])."""
    new_by_key = {r["wardKey"]: r for r in ls_new()}
    old_by_comp = {composite(r): r for r in ls_old()}
    out = {}
    for comp, news in converter()["DICT_PROVINCE_WARD_DIVIDED"][LS].items():
        rows = [new_by_key[n["newWardKey"]] for n in sorted(news, key=lambda n: not n["isDefaultNewWard"])]
        out[comp] = (old_by_comp[comp], rows)
    return out
