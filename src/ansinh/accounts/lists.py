"""Reads of the non-cash campaign's lists: the people of a unit without a usable account (the
drill-down and the outreach files), the bank lists uploaded, the targets page and the account
approval queue. Every read starts from `scoped(...)`; a user of None sees nothing."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext, gettext_noop

from ansinh.accounts import rules
from ansinh.accounts.kpi import account_q, alive_q
from ansinh.accounts.models import CoverageSnapshot, Target
from ansinh.core import providers
from ansinh.core.scope import scope_for, scoped
from ansinh.registry.models import Enrolment, IssueStatus, PaymentAccount, Person, QualityIssue
from ansinh.units.models import AdminUnit, Level
# ----------------------------------------------------------------------------- people without an account

# Vietnamese in the outreach lists (files for the villages); pages show them in the reader's
# language (gettext_noop marks them for the catalogue, `gettext` translates them on pages).
MISSING_LABELS = {
    "no_account": gettext_noop("Chưa có tài khoản"),
    "unconfirmed": gettext_noop("Tài khoản chưa được ngân hàng xác nhận"),
    "holder_mismatch": gettext_noop("Tên chủ tài khoản không khớp"),
    "id_problem": gettext_noop("Thiếu hoặc sai số định danh"),
}


def persons_of_unit(user, unit: AdminUnit):
    qs = scoped(Person, user)
    if unit.level == Level.PROVINCE:
        return qs.filter(province_code=unit.province_code)
    if unit.level == Level.DISTRICT:
        return qs.filter(Q(residence_unit__parent=unit))
    if unit.valid_to is None:
        return qs.filter(commune=unit)
    return qs.filter(residence_unit=unit)


def _without_qs(user, unit: AdminUnit, day: dt.date):
    """Active beneficiaries of `unit` on `day` missing something (annotated _acc, _conf, _mm, _id)."""
    acc = PaymentAccount.objects.filter(account_q(day), person=OuterRef("pk"))
    conf = PaymentAccount.objects.filter(account_q(day, confirmed=True), person=OuterRef("pk"))
    mismatch = QualityIssue.objects.filter(person=OuterRef("pk"), status=IssueStatus.OPEN, rule="HOLDER_MISMATCH")
    idp = QualityIssue.objects.filter(person=OuterRef("pk"), status=IssueStatus.OPEN, rule__startswith="ID")
    active = Enrolment.objects.active_in(day).filter(person=OuterRef("pk"))
    return (persons_of_unit(user, unit).filter(alive_q(day)).filter(Exists(active))
            .annotate(_acc=Exists(acc), _conf=Exists(conf), _mm=Exists(mismatch), _id=Exists(idp))
            # no account implies no confirmed account: one account probe per person, not two
            .filter(Q(_conf=False) | Q(_mm=True) | Q(_id=True) | Q(id_number__isnull=True)))


@contextmanager
def no_jit():
    """PostgreSQL's JIT compiles these short, index-driven queries for longer than they run
    (measured: 680 ms of compilation for an 80 ms drill-down query at 1M persons): off for them."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
        yield


def village_table(user, unit: AdminUnit, day: dt.date) -> list[dict]:
    """Per village of a commune on `day`: beneficiaries, with an account, confirmed, share, and
    `unconfirmed` (beneficiaries without a confirmed account). From the village snapshot when
    `day` was computed by the PostgreSQL refresh (a few rows), else one live aggregated query."""
    from ansinh.accounts.models import CoverageVillage

    if unit.level != Level.COMMUNE:
        return []
    key = {"commune": unit} if unit.valid_to is None else {"residence_unit": unit}
    rows = None
    if CoverageVillage.objects.filter(day=day).exists():
        rows = list(scoped(CoverageVillage, user).filter(day=day, **key).order_by().values("village").annotate(
            b=Sum("beneficiaries"), a=Sum("with_account"), c=Sum("confirmed")))
    else:
        acc = PaymentAccount.objects.filter(account_q(day), person=OuterRef("pk"))
        conf = PaymentAccount.objects.filter(account_q(day, confirmed=True), person=OuterRef("pk"))
        active = Enrolment.objects.active_in(day).filter(person=OuterRef("pk"))
        qs = (persons_of_unit(user, unit).filter(alive_q(day)).filter(Exists(active))
              .annotate(_acc=Exists(acc), _conf=Exists(conf)).order_by().values("village")
              .annotate(b=Count("pk"), a=Count("pk", filter=Q(_acc=True)), c=Count("pk", filter=Q(_conf=True))))
        with no_jit():
            rows = list(qs)
    out = [{"village": r["village"] or "", "beneficiaries": r["b"], "with_account": r["a"], "confirmed": r["c"],
            "unconfirmed": r["b"] - r["c"], "share": rules.share(r["a"], r["b"])} for r in rows if r["b"]]
    return sorted(out, key=lambda r: r["village"])


def count_without(user, unit: AdminUnit, day: dt.date, village: str | None = None) -> int:
    """How many people of the unit (of one village) miss something on `day` (people_without)."""
    qs = _without_qs(user, unit, day)
    if village is not None:
        qs = qs.filter(village=village)
    with no_jit():
        return qs.count()


def village_counts(user, unit: AdminUnit, day: dt.date | None = None) -> list[tuple[str, int]]:
    """(village, number of people missing something) for the unit, by village — one aggregated
    query over the unit's persons (live; the drill-down page uses village_table)."""
    day = day or dt.date.today()
    qs = _without_qs(user, unit, day).order_by().values("village").annotate(n=Count("pk"))
    with no_jit():
        return sorted(((r["village"] or "", r["n"]) for r in qs), key=lambda kv: kv[0])


def people_page(user, unit: AdminUnit, day: dt.date, village: str | None, limit: int,
                offset: int = 0) -> tuple[list[dict], int]:
    """One page of people_without and the number of people in all pages. (A window count in
    the page query was measured slower than this separate count: 57 ms against 15 + 29 ms for
    a village of 1,719 persons at 1M.)"""
    return (people_without(user, unit, day, village=village, limit=limit, offset=offset),
            count_without(user, unit, day, village))


def people_without(user, unit: AdminUnit, day: dt.date | None = None, *, village: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[dict]:
    """Active beneficiaries of `unit` missing something for a non-cash payment on `day`:
    no account, an account not yet confirmed, an open holder-mismatch or ID issue.
    Each: person, village, missing (list of codes), authorised persons. `village` keeps one
    village; `limit`/`offset` give a page (ordered by village, name)."""
    day = day or dt.date.today()
    qs = _without_qs(user, unit, day)
    if village is not None:
        qs = qs.filter(village=village)
    qs = qs.prefetch_related("authorised").order_by("village", "name_key", "pk")
    if limit is not None:
        qs = qs[offset:offset + limit]
    out = []
    with no_jit():
        persons = list(qs)
    for p in persons:
        missing = []
        if not p._acc:
            missing.append("no_account")
        elif not p._conf:
            missing.append("unconfirmed")
        if p._mm:
            missing.append("holder_mismatch")
        if p._id or not p.id_number:  # an open ID_* issue, or no ID number at all
            missing.append("id_problem")
        out.append({"person": p, "village": p.village or "", "missing": missing,
                    "missing_labels": [MISSING_LABELS[m] for m in missing],
                    "missing_display": [gettext(MISSING_LABELS[m]) for m in missing],
                    "authorised": list(p.authorised.all()), "bring": what_to_bring(p, missing),
                    "bring_display": what_to_bring(p, missing, gettext)})
    return out


def what_to_bring(person, missing: list[str], tr=lambda s: s) -> str:
    """What the person brings to open or fix an account (Vietnamese; `tr=gettext` on pages)."""
    parts = []
    if "no_account" in missing or "id_problem" in missing:
        parts.append(tr(gettext_noop("Căn cước (thẻ gắn chip) của đối tượng")))
    if "no_account" in missing:
        auth = list(person.authorised.all())
        if auth:
            parts.append(tr(gettext_noop("Căn cước và giấy ủy quyền của người được ủy quyền")) + " (" +
                         ", ".join(a.full_name for a in auth) + ")")
        else:
            parts.append(tr(gettext_noop("Nếu ủy quyền: họ tên, số định danh, căn cước của người được ủy quyền")))
    if "unconfirmed" in missing:
        parts.append(tr(gettext_noop("Đến ngân hàng/điểm giao dịch để kích hoạt tài khoản")))
    if "holder_mismatch" in missing:
        parts.append(tr(gettext_noop("Giấy tờ của chủ tài khoản để đối chiếu họ tên")))
    return "; ".join(parts)


def group_by_village(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    g: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        g[r["village"]].append(r)
    return sorted(g.items(), key=lambda kv: kv[0])


def unit_by_id(user, pk: int) -> AdminUnit | None:
    """A unit the user may look at (its scope contains it, or a province officer's province)."""
    from ansinh.core.scope import visible_units

    return visible_units(user).filter(pk=pk).first()


# ----------------------------------------------------------------------------- bank lists uploaded

def bank_lists(user):
    """Bank lists uploaded through the web that the user may see, newest first."""
    from ansinh.accounts.models import BankListImport

    return scoped(BankListImport, user).select_related("job", "created_by")


def bank_list_for(user, pk: int):
    return bank_lists(user).filter(pk=pk).first()


# ----------------------------------------------------------------------------- targets page

def targets_for(user):
    """The targets that apply inside the user's scope: the general rows and those of their
    provinces / communes (through scoped())."""
    return (scoped(Target, user) | Target.objects.filter(province_code="", commune__isnull=True)).select_related(
        "commune", "updated_by").order_by("province_code", "commune__code", "due", "pk")


def target_history(user, limit: int = 100):
    from ansinh.accounts.models import TargetChange

    return scoped(TargetChange, user).select_related("commune", "user")[:limit]


def target_communes(user) -> list[AdminUnit]:
    """Communes (both maps) a target may be set for by this user: those of their provinces
    (for an administrator: of the provinces with coverage figures, not the whole country)."""
    scope = scope_for(user)
    qs = AdminUnit.objects.filter(level=Level.COMMUNE)
    if scope.everything:
        qs = qs.filter(province_code__in=CoverageSnapshot.objects.values("province_code").distinct())
    else:
        qs = qs.filter(province_code__in=scope.province_codes)
    return list(qs.order_by("province_code", "valid_to", "code"))


# ----------------------------------------------------------------------------- account approval queue

def mask_account(number: str | None) -> str:
    """An account number shown with its last 4 digits only."""
    n = (number or "").strip()
    return "••••" + n[-4:] if len(n) > 4 else "••••"


def provider_label(account) -> str:
    p = providers.ACCOUNT_PROVIDERS.get(account.provider or "")
    return account.provider_name or (p.short_name if p else "") or account.provider or "?"


def source_label(source: str) -> str:
    from django.utils.translation import gettext as _

    s = source or ""
    if s.startswith("bank:"):
        return _("Danh sách ngân hàng trả về: %(file)s") % {"file": s[5:]}
    if s.startswith("import:"):
        return _("Danh sách xã (lần nhập #%(batch)s)") % {"batch": s[7:]}
    if s.startswith("demo"):
        return _("Dữ liệu mẫu")
    if s == "web":
        return _("Nhập trên web")
    return s


def _account_view(a) -> dict:
    return {"id": a.pk, "provider": provider_label(a), "masked": mask_account(a.account_number),
            "holder": a.get_holder_display(), "holder_name": a.holder_name, "status": a.get_status_display(),
            "approved_at": a.approved_at, "approved_by": a.approved_by}


def pending_accounts(user, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The approval queue of `user`'s scope, oldest first: each pending account with the account
    the person is paid into now (the newest approved usable one, as payroll picks it) beside it,
    who made the change, when and from where, and whether the holder's name matches the person
    or an authorised person. Numbers are masked (last 4 digits)."""
    from ansinh.registry.models import AccountApproval, AuthorisedPerson, usable_account_q

    qs = (scoped(PaymentAccount, user).filter(approval=AccountApproval.PENDING)
          .select_related("person", "person__scope_commune", "made_by__profile").order_by("created", "pk"))
    total = qs.count()
    page = list(qs[offset:offset + limit])
    pids = sorted({a.person_id for a in page})
    current: dict[int, PaymentAccount] = {}
    for a in (scoped(PaymentAccount, user).filter(usable_account_q(), person_id__in=pids)
              .select_related("approved_by__profile")
              .order_by("person_id", "pk")):
        current[a.person_id] = a  # the last one (highest id) wins, as in payroll generation
    auth: dict[int, list[str]] = defaultdict(list)
    for pid, name in scoped(AuthorisedPerson, user).filter(person_id__in=pids).values_list("person_id", "full_name"):
        auth[pid].append(name)
    rows = []
    for a in page:
        p = a.person
        holder_ok = rules.holder_matches(a.holder_name, p.full_name) or any(
            rules.holder_matches(a.holder_name, n) for n in auth.get(p.pk, []))
        old = current.get(p.pk)
        rows.append({"account": a, "new": _account_view(a), "old": _account_view(old) if old else None,
                     "person": p, "holder_ok": holder_ok, "made_by": a.made_by, "created": a.created,
                     "source": source_label(a.source)})
    return rows, total


def pending_count(user) -> int:
    from ansinh.registry.models import AccountApproval

    return scoped(PaymentAccount, user).filter(approval=AccountApproval.PENDING).count()


def account_for(user, pk: int):
    """One payment account inside the user's scope, or None."""
    return scoped(PaymentAccount, user).select_related("person").filter(pk=pk).first()
