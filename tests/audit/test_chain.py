"""The audit chain's pure rules (ansinh.audit.chain), without a database."""
from __future__ import annotations

import datetime as dt

from ansinh.audit import chain


def entries(n=5):
    out, prev = [], chain.GENESIS
    for i in range(1, n + 1):
        f = {"seq": i, "at": dt.datetime(2026, 12, 4, 10, i, tzinfo=dt.UTC), "user_id": 7, "user_name": "kt",
             "action": "person.view", "subjects": 1, "subjects_digest": chain.ids_digest([i]), "object": "",
             "sha256": "", "source": "web registry:person", "detail": chain.canonical_json({"n": i})}
        f["prev_hash"], f["hash"] = prev, chain.entry_hash(prev, f)
        prev = f["hash"]
        out.append(f)
    return out


def test_intact_chain_has_no_break():
    assert chain.first_break(entries()) is None


def test_changed_field_names_that_entry():
    es = entries()
    es[2]["user_name"] = "someone-else"
    assert chain.first_break(es) == chain.Break(3, "content changed (hash differs)")


def test_removed_entry_is_named():
    es = entries()
    del es[1]
    brk = chain.first_break(es)
    assert brk.seq == 2 and "removed" in brk.reason


def test_rehashed_entry_breaks_the_next_link():
    es = entries()
    es[1]["object"] = "x"
    es[1]["hash"] = chain.entry_hash(es[1]["prev_hash"], es[1])
    assert chain.first_break(es).seq == 3


def test_people_digest_checked():
    es = entries()
    es[3]["actual_subjects_digest"] = chain.ids_digest([99])
    assert chain.first_break(es).seq == 4


def test_time_is_hashed_in_utc_whatever_the_zone():
    hcm = dt.timezone(dt.timedelta(hours=7))
    at = dt.datetime(2026, 12, 4, 17, 0, tzinfo=hcm)
    assert chain.at_text(at) == "2026-12-04T10:00:00.000000+00:00"


def test_ids_digest_ignores_order_and_repeats():
    assert chain.ids_digest([3, 1, 2, 2]) == chain.ids_digest([1, 2, 3]) != chain.ids_digest([1, 2])
    assert chain.ids_digest([]) == ""
