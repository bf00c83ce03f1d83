"""Matching writes: registry dedupe runs, review decisions, holder checks.

Set-based: pairs are written with bulk_create; a confirmed duplicate's enrolments are
terminated with one UPDATE and their history with one bulk_create of ChangeLog rows.
"""
from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext

from ansinh.core.crypto import decrypt_many
from ansinh.core.jobs import BadInput, Progress, job_kind
from ansinh.core.models import Role
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for, scoped
from ansinh.core.services import recorded_user
from ansinh.matching import comparisons, engine
from ansinh.matching.models import IdProposal, MatchPair, MatchRun, PairStatus, ProposalStatus
from ansinh.registry.history import set_enrolment_status
from ansinh.registry.models import AccountHolder, AccountStatus, Enrolment, EnrolmentStatus, PaymentAccount, Person
from ansinh.registry.deaths import record_death  # the one home of "a death stops payment"
from ansinh.registry.recheck import recheck_persons
from ansinh.registry.routing import covering_keys

DUPLICATE_REASON = "trùng lặp"
DECIDERS = (Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.ADMIN)
#: Pairs at or above this probability go to the review queue (clusters use the run threshold).
REVIEW_FROM = 0.5
BATCH = 5000


def person_rows(qs) -> list[dict]:
    """Registry persons -> the engine's raw schema (two queries, no per-row work in SQL): the
    person's phone, and the account of their latest open payment account (its bank; the holder's
    name when an authorised person holds it)."""
    accounts = {}
    for pid, number, provider, provider_name, holder, holder_name in PaymentAccount.objects.filter(
            person__in=qs, closed_on__isnull=True).exclude(status=AccountStatus.CLOSED).order_by(
            "person_id", "-created", "-id").values_list("person_id", "account_number", "provider", "provider_name",
                                                        "holder", "holder_name").iterator(chunk_size=BATCH):
        if pid not in accounts:
            accounts[pid] = {"account_number": number or None, "bank": provider or provider_name or None,
                             # prepare_sql compares it with the person's name (paid_other); an
                             # authorised holder without a name is still someone else
                             "paid_to": holder_name or ("?" if holder == AccountHolder.AUTHORISED else None)}
    none = {"account_number": None, "bank": None, "paid_to": None}
    out = []
    # ID, CMND and phone are encrypted at rest: read as stored (Cast: no per-value converter) and decrypted
    # in bulk (ansinh.core.crypto.decrypt_many, decision 0025).
    rows = list(qs.values_list(
        "pk", "full_name", "dob", "dob_precision", "gender", Cast("id_number", TextField()),
        Cast("legacy_cmnd", TextField()), "residence_unit_id", "commune_id", "village",
        Cast("phone", TextField())).iterator(chunk_size=BATCH))
    cols = list(zip(*rows)) if rows else [()] * 11
    clear = {i: decrypt_many(cols[i]) for i in (5, 6, 10)}
    for n, (pk, name, dob, prec, gender, _i, _c, res, com, village, _p) in enumerate(rows):
        idn, cmnd, phone = clear[5][n], clear[6][n], clear[10][n]
        out.append({"unique_id": pk, "full_name": name, "dob": dob, "dob_precision": prec, "gender": gender,
                    "id_number": idn or cmnd, "commune_old": None if res is None else str(res),
                    "commune_new": None if com is None else str(com), "village": village or None,
                    "phone": phone or None, **accounts.get(pk, none)})
    return out


def decided_labels(qs=None) -> list[tuple[int, int, bool]]:
    """Every reviewer's decision in the duplicate queue as a labelled pair (person, person,
    same person?), oldest first so the latest decision on a pair wins."""
    qs = MatchPair.objects.exclude(status=PairStatus.OPEN) if qs is None else qs
    return [(a, b, st == PairStatus.CONFIRMED) for a, b, st in
            qs.order_by("decided_at", "id").values_list("person_a_id", "person_b_id", "status")]


def run_registry_dedupe(province_code: str | None = None, threshold: float = 0.9, user=None,
                        progress: Progress | None = None, job=None) -> MatchRun:
    """Dedupe the registry (or one province); store the run and its candidate pairs.

    Term frequencies come from the whole registry.  Reviewers' decisions are labelled pairs
    (:func:`decided_labels`): the "same person" ones train the m probabilities beside EM, and
    every decision binds the clustering (``engine.dedupe(labels=...)``).  A decided pair is
    never queued again nor changed: the run records on it what its model says
    (``model_probability``) and, when the model would decide otherwise, ``model_disagrees``
    (listed for review; the decision stands)."""
    progress = progress or Progress()
    qs = Person.objects.all()
    if province_code:
        qs = qs.filter(province_code=province_code)
    progress.set_total(4, "Đọc danh sách đối tượng")
    rows = person_rows(qs)
    population = rows if not province_code else person_rows(Person.objects.all())
    labels = decided_labels()
    progress.advance(1, "Huấn luyện mô hình và so khớp")
    try:
        res = engine.dedupe(rows, population=population, threshold=threshold, labels=labels)
    except (engine.BlockTooLarge, engine.NotTrained) as exc:
        raise BadInput(str(exc)) from exc
    progress.advance(1, "Lưu kết quả")
    decided = {(min(a, b), max(a, b)) for a, b, _same in labels}
    keys = {pk: (sc, pc) for pk, sc, pc in Person.objects.filter(
        pk__in={p for pr in res.pairs for p in (pr["unique_id_l"], pr["unique_id_r"])}).values_list(
        "pk", "scope_commune_id", "province_code")}
    with transaction.atomic():
        # The new run replaces the open queue it covers (one province's run leaves the others').
        stale = MatchPair.objects.filter(status=PairStatus.OPEN)
        if province_code:
            stale = stale.filter(person_a__province_code=province_code, person_b__province_code=province_code)
        stale.delete()
        disagree = sum(1 for lb in res.labels if lb["same"] != lb["model_same"])
        run = MatchRun.objects.create(created_by=recorded_user(user), province_code=province_code or "",
                                      threshold=threshold, records=len(rows), job=job,
                                      clusters=len(set(res.clusters.values())),
                                      stats={"seconds": res.seconds, "block_sizes": res.block_sizes,
                                             "labels": {"same": sum(1 for lb in res.labels if lb["same"]),
                                                        "not_same": sum(1 for lb in res.labels if not lb["same"]),
                                                        "model_disagrees": disagree}},
                                      model=res.params)
        objs = []
        for p in res.pairs:
            a, b = sorted((p["unique_id_l"], p["unique_id_r"]))
            if p["match_probability"] < REVIEW_FROM or (a, b) in decided:
                continue
            # Routed to the narrowest unit covering both persons (visibility reads both
            # persons' current keys: MatchPair.ScopeMeta).
            sc, pc = covering_keys(keys.get(a, (None, "")), keys.get(b, (None, "")))
            objs.append(MatchPair(
                run=run, person_a_id=a, person_b_id=b, cluster=res.clusters.get(a, a),
                match_probability=p["match_probability"], match_weight=p["match_weight"],
                contributions={f: round(p[f"w_{f}"] or 0.0, 3) for f in comparisons.FIELDS},
                shared_contact=bool(p["shared_contact"]),
                scope_commune_id=sc, province_code=pc))
        MatchPair.objects.bulk_create(objs, batch_size=BATCH)
        run.pairs = len(objs)
        run.save(update_fields=["pairs"])
        record_model_checks(run, res.labels)
    progress.advance(2, "Xong")
    return run


def record_model_checks(run: MatchRun, labels: list[dict]) -> int:
    """What this run's model says of each decided pair it covered (the regression set): its
    probability and whether it disagrees with the decision.  The decision itself is not touched.
    One bulk_update; returns how many pairs the model disagrees with."""
    got = {(lb["unique_id_l"], lb["unique_id_r"]): lb for lb in labels}
    if not got:
        return 0
    objs = []
    people = {u for k in got for u in k}
    for pair in MatchPair.objects.exclude(status=PairStatus.OPEN).filter(
            person_a_id__in=people, person_b_id__in=people).only("id", "person_a_id", "person_b_id", "status"):
        lb = got.get((min(pair.person_a_id, pair.person_b_id), max(pair.person_a_id, pair.person_b_id)))
        if lb is None:
            continue
        pair.checked_run = run
        pair.model_probability = lb["match_probability"]
        pair.model_disagrees = lb["model_same"] != (pair.status == PairStatus.CONFIRMED)
        objs.append(pair)
    MatchPair.objects.bulk_update(objs, ["checked_run", "model_probability", "model_disagrees"], batch_size=BATCH)
    return sum(p.model_disagrees for p in objs)


@job_kind("matching.dedupe")
def dedupe_job(params: dict, progress: Progress) -> dict:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    user = get_user_model().objects.filter(pk=params.get("user_id")).first() if params.get("user_id") else None
    run = run_registry_dedupe(params.get("province_code") or None, float(params.get("threshold", 0.9)), user,
                              progress)
    return {"run": run.pk, "records": run.records, "pairs": run.pairs, "clusters": run.clusters,
            "url": reverse("matching:queue")}


def _covers_persons(user, person_ids) -> bool:
    """Whether the user's scope covers every one of these persons and every enrolment of
    theirs (the rows a decision changes), by their current scope keys."""
    scope = scope_for(user)
    if scope.everything:
        return True
    keys = set(Person.objects.filter(pk__in=person_ids).values_list("scope_commune_id", "province_code"))
    keys |= set(Enrolment.objects.filter(person_id__in=person_ids).values_list("scope_commune_id", "province_code"))
    return bool(keys) and all(scope.covers(c, p) for c, p in keys)


def _check_decidable(obj, user, *, action: str, person_ids, outside: str, subject: str) -> None:
    """A pair or a proposal may be decided by this user: a decider whose scope covers every
    person the decision is about (both persons of a pair: a cross-commune pair is the
    province's), and still open.  Checked here, in the service, whatever the caller (the
    CLI's operator, user None, is not checked)."""
    if user is None:
        return
    if not has_role(user, *DECIDERS):
        raise BadInput(f"bạn không có quyền quyết định {action}")
    if not _covers_persons(user, person_ids):
        raise BadInput(outside)
    if obj.status != PairStatus.OPEN:  # == ProposalStatus.OPEN
        raise BadInput(f"{subject} này đã được xử lý")


def _check(pair: MatchPair, user) -> None:
    _check_decidable(pair, user, action="trùng lặp", person_ids=[pair.person_a_id, pair.person_b_id],
                     outside=gettext("Cặp hồ sơ này có đối tượng ngoài phạm vi của bạn; cấp tỉnh (phạm vi gồm "
                                     "cả hai đối tượng) sẽ quyết định."),
                     subject="cặp hồ sơ")


def terminate_enrolments(person_ids, reason: str, user=None, source: str = "matching") -> int:
    """Terminate every non-terminated enrolment of the persons; the registry records the history."""
    return set_enrolment_status(Enrolment.objects.filter(person_id__in=person_ids), EnrolmentStatus.TERMINATED,
                                reason=reason, user=user, source=source)


def confirm_pair(pair: MatchPair, user, keep: str = "a", note: str = "") -> MatchPair:
    """The two records are one person: the other record's enrolments stop ("trùng lặp")."""
    if keep not in ("a", "b"):
        raise BadInput("keep: 'a' hoặc 'b'")
    with transaction.atomic():
        pair = MatchPair.objects.select_for_update().get(pk=pair.pk)
        _check(pair, user)
        duplicate = pair.person_b_id if keep == "a" else pair.person_a_id
        n = terminate_enrolments([duplicate], DUPLICATE_REASON, user)
        # The stopped record's open issues no longer need anyone's action.
        recheck_persons([duplicate], user=user, source="matching")
        _record_decision(pair, PairStatus.CONFIRMED, user,
                         note or f"giữ hồ sơ {keep.upper()}; dừng {n} chế độ của hồ sơ #{duplicate}")
    return pair


def reject_pair(pair: MatchPair, user, note: str = "") -> MatchPair:
    """The two records are different people: recorded, not queued again."""
    return _reject(pair, _check, PairStatus.REJECTED, user, note)


def _record_decision(obj, status: str, user, note: str) -> None:
    """A decision on a pair or a proposal (locked by the caller): what, who, when, why."""
    obj.status = status
    obj.decided_by = recorded_user(user)
    obj.decided_at = timezone.now()
    obj.note = note[:500]
    obj.save(update_fields=["status", "decided_by", "decided_at", "note"])


def _reject(obj, check, status: str, user, note: str):
    """Lock a pair or a proposal, check that `user` may decide it, record the rejection."""
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        check(obj, user)
        _record_decision(obj, status, user, note)
    return obj


# --------------------------------------------------------------------------- population verification

VERIFY_FIELDS = ("full_name", "dob", "gender")


def _population(path):
    """Read a population extract (the shape commune police return) with the registry's reader:
    ID number, full name, date of birth, gender, permanent residence; the alive/deceased
    status and the date of death come from columns headed "Tình trạng"/"Còn sống/Đã mất"
    and "Ngày mất"/"Ngày chết"."""
    from ansinh.registry.reader import ReadError, read_list
    from ansinh.text.dates import parse_cell
    from ansinh.text import fold

    try:
        parsed = read_list(path)
    except ReadError as exc:
        raise BadInput(str(exc)) from exc
    status_col = died_col = None
    for idx, text in parsed.unmapped_columns.items():
        k = fold(text)
        if "NGAY MAT" in k or "NGAY CHET" in k or "NGAY TU" in k:
            died_col = idx
        elif "TINH TRANG" in k or "CON SONG" in k or "DA MAT" in k:
            status_col = idx
    out = []
    for src in parsed.rows:
        v = src.values
        cells = src.cells_text()
        died = None
        if died_col is not None and died_col < len(cells) and cells[died_col].strip():
            try:
                got = parse_cell(cells[died_col])
            except Exception:  # noqa: BLE001 - an unreadable date of death is reported, not guessed
                got = None
            died = got[0] if got else None
        st = fold(cells[status_col]) if status_col is not None and status_col < len(cells) else ""
        deceased = died is not None or st in ("DA MAT", "CHET", "DA CHET", "DECEASED", "MAT")
        dob = v.get("dob")
        out.append({"row": src.row, "id_number": v.get("id_number") or v.get("cmnd"), "full_name": v.get("full_name"),
                    "dob": dob[0] if dob else None, "dob_precision": dob[1] if dob else None,
                    "gender": v.get("gender"), "address": v.get("address"), "deceased": deceased,
                    "deceased_on": died})
    return out


def _differences(person: dict, pop: dict) -> dict:
    from ansinh.text import fold

    diffs = {}
    if pop["full_name"] and fold(person["full_name"] or "") != fold(pop["full_name"]):
        diffs["full_name"] = [person["full_name"], pop["full_name"]]
    if person["dob"] and pop["dob"]:
        prec = {person["dob_precision"], pop["dob_precision"] or "day"}
        same = (person["dob"].year == pop["dob"].year if "year" in prec else
                person["dob"].replace(day=1) == pop["dob"].replace(day=1) if "month" in prec else
                person["dob"] == pop["dob"])
        if not same:
            diffs["dob"] = [person["dob"].isoformat(), pop["dob"].isoformat()]
    if person["gender"] and pop["gender"] and person["gender"] != pop["gender"]:
        diffs["gender"] = [person["gender"], pop["gender"]]
    return diffs


def verify_population(path, user=None, apply: bool = True, threshold: float = 0.9) -> dict:
    """Check every registry person against a population extract.

    Outcomes: verified (ID found, fields agree), differs (ID found, field-level
    differences), proposed (ID missing or not found: the most likely population record
    by probabilistic search, with its ID and probability, for an officer to accept),
    not_found, and deceased (flagged; with ``apply`` the person is marked deceased and
    the enrolments end in the month of death)."""
    pop = _population(path)
    by_id = {p["id_number"]: p for p in pop if p["id_number"]}
    # An officer checks the persons of their own scope (the CLI's operator: everyone).
    base = Person.objects.all() if user is None else scoped(Person, user)
    persons = list(base.values("pk", "id_number", "legacy_cmnd", "full_name", "dob", "dob_precision",
                                         "gender", "residence_unit_id", "commune_id", "village", "scope_commune_id",
                                         "province_code"))
    details = []
    counts = {"verified": 0, "differs": 0, "proposed": 0, "not_found": 0, "deceased": 0}
    deaths = {}
    search = []
    proposals = []
    for p in persons:
        hit = by_id.get(p["id_number"]) or by_id.get(p["legacy_cmnd"])
        if hit is None:
            search.append(p)
            continue
        d = _differences(p, hit)
        counts["differs" if d else "verified"] += 1
        details.append({"person": p["pk"], "outcome": "differs" if d else "verified", "row": hit["row"],
                        "differences": d})
        if hit["deceased"]:
            counts["deceased"] += 1
            deaths[p["pk"]] = hit["deceased_on"]
    if search:
        # probabilistic search: every person together with the population records, deduped
        # as one table (the persons whose ID was found supply exact-ID pairs, so the model
        # is trained on this very data); a searched person's best cross pair is the proposal.
        offset = 10 ** 12
        rows = [{"unique_id": p["pk"], "full_name": p["full_name"], "dob": p["dob"],
                 "dob_precision": p["dob_precision"], "gender": p["gender"],
                 "id_number": p["id_number"] or p["legacy_cmnd"]} for p in persons]
        rows += [{"unique_id": offset + i, "full_name": q["full_name"], "dob": q["dob"],
                  "dob_precision": q["dob_precision"], "gender": q["gender"], "id_number": q["id_number"]}
                 for i, q in enumerate(pop)]
        try:
            pairs = engine.dedupe(rows, threshold=threshold).pairs
        except (engine.NotTrained, engine.BlockTooLarge) as exc:
            raise BadInput(f"{path}: probabilistic search impossible: {exc}") from exc
        wanted = {p["pk"] for p in search}
        best: dict = {}
        for pr in pairs:
            a, b = pr["unique_id_l"], pr["unique_id_r"]
            if (a >= offset) == (b >= offset):
                continue
            pid, qi = (a, b - offset) if b >= offset else (b, a - offset)
            if pid in wanted and pr["match_probability"] >= threshold and pr["match_probability"] > best.get(pid, (0, None))[0]:
                best[pid] = (pr["match_probability"], qi)
        for p in search:
            if p["pk"] in best:
                prob, qi = best[p["pk"]]
                q = pop[qi]
                counts["proposed"] += 1
                details.append({"person": p["pk"], "outcome": "proposed", "row": q["row"],
                                "proposed_id": q["id_number"], "probability": round(prob, 6)})
                if q["id_number"]:
                    current = p["id_number"] or p["legacy_cmnd"] or ""
                    proposals.append(IdProposal(
                        person_id=p["pk"], reason="not_found" if current else "missing", current_id=current,
                        proposed_id=q["id_number"], probability=prob, source=Path(path).name[:255],
                        source_row=q["row"], population_name=(q["full_name"] or "")[:200],
                        population_dob=q["dob"], population_gender=q["gender"] or "",
                        scope_commune_id=p["scope_commune_id"], province_code=p["province_code"] or ""))
                if q["deceased"]:
                    counts["deceased"] += 1
                    details[-1]["deceased_on"] = q["deceased_on"].isoformat() if q["deceased_on"] else None
            else:
                counts["not_found"] += 1
                details.append({"person": p["pk"], "outcome": "not_found"})
    changed = record_death(deaths, user) if apply and deaths else 0
    stored = store_proposals(proposals, {p["pk"] for p in search}) if apply else 0
    return {"population_rows": len(pop), "persons": len(persons), "counts": counts,
            "deceased_marked": changed, "proposals_stored": stored, "details": details}


@job_kind("matching.verify")
def verify_job(params: dict, progress: Progress) -> dict:
    """Web upload of a population extract: the same check as `ansinh verify`, for the
    uploader's scope; the result keeps the counts (the details stay in the proposals and the
    persons' history)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    user = get_user_model().objects.filter(pk=params["user_id"]).first()
    if user is None:
        raise BadInput("người dùng không còn tồn tại")
    progress.set_total(1, params.get("file_name", ""))
    with transaction.atomic():
        rep = verify_population(params["path"], user=user)
    progress.advance(1)
    return {k: v for k, v in rep.items() if k != "details"} | {
        "file": params.get("file_name", ""), "url": reverse("matching:proposals")}


POPULATION_EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")


def start_verification(user, uploaded):
    """Store an uploaded population extract and start the check in the background."""
    from ansinh.core.jobs import start_job
    from ansinh.core.uploads import check_name, store_upload, uploader_scope
    from ansinh.core.roles import can_edit

    if not can_edit(user):
        raise BadInput("bạn không có quyền đối chiếu dữ liệu dân cư")
    name = check_name(uploaded.name, POPULATION_EXTENSIONS)  # the client's name only; too long says so
    dest = store_upload(uploaded, "population", default_name="dan-cu")
    commune, province_code = uploader_scope(user)
    return start_job("matching.verify", {"path": str(dest), "file_name": name, "user_id": user.pk},
                     user=user, title=f"Đối chiếu dữ liệu dân cư {name}", commune=commune,
                     province_code=province_code)


def store_proposals(proposals: list, searched: set[int]) -> int:
    """Replace the open ID proposals of the searched persons by this run's (one DELETE, one
    bulk_create); decided proposals stay as the record of who decided what, and a proposal
    an officer rejected is not made again."""
    with transaction.atomic():
        IdProposal.objects.filter(status=ProposalStatus.OPEN, person_id__in=list(searched)).delete()
        rejected = set(IdProposal.objects.filter(status=ProposalStatus.REJECTED, person_id__in=list(searched))
                       .values_list("person_id", "proposed_id"))
        proposals = [p for p in proposals if (p.person_id, p.proposed_id) not in rejected]
        IdProposal.objects.bulk_create(proposals, batch_size=BATCH)
    return len(proposals)


#: The quality rule under which an accepted proposal is written (when the person has no
#: open ID issue of the import rules), so that the ID goes through the registry's own
#: history-keeping correction service (``registry.review.fix_issue``).
PROPOSAL_RULE = "ID_POPULATION"
ID_RULES = ("ID_SHAPE", "ID_GENDER", "ID_BIRTH_YEAR", PROPOSAL_RULE)


def _check_proposal(proposal: IdProposal, user) -> None:
    _check_decidable(proposal, user, action="đề xuất số định danh", person_ids=[proposal.person_id],
                     outside=gettext("Đối tượng của đề xuất này ngoài phạm vi của bạn."), subject="đề xuất")


def accept_proposal(proposal: IdProposal, user, note: str = "") -> IdProposal:
    """Write the proposed ID number to the person through the registry's correction service
    (validated, unique, one ChangeLog row per changed field, by ``user``), closing the
    person's open ID issue (or one opened for this proposal), and record the decision."""
    from ansinh.registry import review as registry
    from ansinh.registry.models import IssueStatus, QualityIssue, Severity

    taken = None
    with transaction.atomic():
        proposal = IdProposal.objects.select_for_update().get(pk=proposal.pk)
        _check_proposal(proposal, user)
        person = Person.objects.get(pk=proposal.person_id)
        issue = (QualityIssue.objects.filter(person=person, status=IssueStatus.OPEN, rule__in=ID_RULES)
                 .order_by("id").first())
        if issue is None:
            issue = QualityIssue.objects.create(
                person=person, rule=PROPOSAL_RULE, severity=Severity.WARNING, field="id_number",
                message="Số định danh đề xuất từ dữ liệu dân cư (đuôi " + proposal.proposed_id[-4:] + ")",
                details={"proposal": proposal.pk, "probability": round(proposal.probability, 6),
                         "source": proposal.source, "row": proposal.source_row},
                scope_commune_id=person.scope_commune_id, province_code=person.province_code)
        try:
            registry.fix_issue(issue, user, "id_number", proposal.proposed_id)
        except registry.IdNumberTaken as exc:
            # The number is another person's: fix_issue wrote nothing and filed the case for
            # the province (kept: this block commits); the proposal stays open.
            taken = exc
        else:
            _record_decision(proposal, ProposalStatus.ACCEPTED, user, note)
    if taken is not None:
        raise taken
    return proposal


def reject_proposal(proposal: IdProposal, user, note: str = "") -> IdProposal:
    """The proposed population record is not this person: recorded (who, when, why)."""
    return _reject(proposal, _check_proposal, ProposalStatus.REJECTED, user, note)
