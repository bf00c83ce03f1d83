"""Learning from reviewers: decisions are labelled pairs that train the m probabilities, bind the
clustering and form a regression set (a decided pair never flips silently on a re-run)."""
import random

import pytest
from django.test import Client

from ansinh.core.services import upsert_user
from ansinh.matching import engine, services
from ansinh.matching.models import MatchPair, MatchRun, PairStatus

from .test_engine import _people, _variant
from .test_services import registry  # noqa: F401 - fixture


def _rows(n=400, twins=40, seed=3):
    rng = random.Random(seed)
    people = _people(n, seed=seed)
    rows, truth = [], {}
    for p in people + [_variant(p, rng) for p in rng.sample(people, twins)]:
        uid = len(rows)
        rows.append({"unique_id": uid, "full_name": p["full_name"], "dob": p["dob"],
                     "dob_precision": "year" if p.get("dob_year_only") else "day", "gender": p["gender"],
                     "id_number": p["id_number"], "village": p["village"], "commune_old": "Xã Hồng Phong"})
        truth[uid] = p["key"]
    return rows, truth


def test_labels_bind_the_clustering_and_report_the_models_view():
    rows, truth = _rows()
    first = engine.dedupe(rows, threshold=0.9)
    linked = next(p for p in first.pairs if p["same_cluster"] and p["match_probability"] > 0.99)
    a, b = linked["unique_id_l"], linked["unique_id_r"]
    # two records the model never links (different people): a reviewer says "same person"
    c, d = next((i, j) for i in range(len(rows)) for j in range(i + 1, len(rows))
                if truth[i] != truth[j] and first.clusters[i] == i and first.clusters[j] == j)
    res = engine.dedupe(rows, threshold=0.9, labels=[(b, a, False), (c, d, True), (10 ** 9, a, True)])
    assert res.clusters[a] != res.clusters[b] and res.clusters[c] == res.clusters[d]
    got = {(lb["unique_id_l"], lb["unique_id_r"]): lb for lb in res.labels}
    assert set(got) == {(a, b), (min(c, d), max(c, d))}          # unknown record: ignored
    assert got[(a, b)]["model_same"] and not got[(a, b)]["same"]  # the model disagrees: reported
    assert not got[(min(c, d), max(c, d))]["model_same"] and got[(min(c, d), max(c, d))]["same"]
    assert got[(min(c, d), max(c, d))]["match_probability"] < 0.5  # scored though never blocked


def test_same_person_labels_train_m_beside_em():
    rows, _truth = _rows()

    def m_of(params, field, label_part):
        c = next(c for c in params["comparisons"] if c["output_column_name"] == field)
        return next(lv.get("m_probability") for lv in c["comparison_levels"]
                    if label_part in (lv.get("label_for_charts") or ""))

    # Reviewers confirmed 30 persons listed again in another village.
    moved = [dict(rows[i], unique_id=10_000 + i, village="Bản Khuổi Ky") for i in range(30)]
    labelled = engine.dedupe(rows + moved, threshold=0.9, labels=[(i, 10_000 + i, True) for i in range(30)])
    plain = engine.dedupe(rows + moved, threshold=0.9)
    n = len(rows) + 30
    dup = plain.params["probability_two_random_records_match"] * n * (n - 1) / 2
    # each label is one more observed duplicate beside the D duplicates EM's estimate stands for
    for field, level in (("village", "All other"), ("given", "Exact"), ("id_number", "Exact")):
        want = (dup * m_of(plain.params, field, level) + 30) / (dup + 30)
        assert m_of(labelled.params, field, level) == pytest.approx(want, rel=1e-6), field
    assert m_of(labelled.params, "village", "Exact") < m_of(plain.params, "village", "Exact")
    assert all(labelled.clusters[i] == labelled.clusters[10_000 + i] for i in range(30))


@pytest.mark.django_db
def test_a_rerun_keeps_decisions_and_shows_disagreements(registry):  # noqa: F811
    run1 = services.run_registry_dedupe(threshold=0.9)
    pairs = list(MatchPair.objects.filter(run=run1).order_by("-match_probability", "id"))
    top, low = pairs[0], pairs[-1]
    truth = registry
    assert truth[top.person_a_id] == truth[top.person_b_id] and top.match_probability >= 0.9
    services.reject_pair(top, None, note="hai người khác nhau")   # the model says one person
    services.confirm_pair(low, None, keep="a")
    run2 = services.run_registry_dedupe(threshold=0.9)
    top.refresh_from_db()
    low.refresh_from_db()
    # decisions kept, never queued again, checked by the new run's model
    assert top.status == PairStatus.REJECTED and low.status == PairStatus.CONFIRMED
    assert not MatchPair.objects.filter(run=run2, person_a=top.person_a, person_b=top.person_b).exists()
    assert top.checked_run_id == run2.pk and low.checked_run_id == run2.pk
    assert top.model_disagrees and top.model_probability >= 0.9
    assert low.model_disagrees == (low.model_probability < 0.9)
    assert run2.stats["labels"]["not_same"] == 1 and run2.stats["labels"]["same"] == 1
    # the rejected pair's persons are not clustered together through any open pair
    clusters = {}
    for p in MatchPair.objects.filter(run=run2):
        clusters[p.person_a_id] = clusters[p.person_b_id] = p.cluster
    if top.person_a_id in clusters and top.person_b_id in clusters:
        assert clusters[top.person_a_id] != clusters[top.person_b_id]
    # listed for review, and the pair page says it in words
    admin = upsert_user("tinh_m", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    c = Client()
    c.force_login(admin)
    html = c.get("/matching/?status=disagrees").content.decode()
    assert f"/matching/pairs/{top.pk}/" in html
    page = c.get(f"/matching/pairs/{top.pk}/").content.decode()
    assert 'data-testid="model-disagrees"' in page and "Quyết định vẫn được giữ nguyên" in page
