"""The registry's demo step (demo installations only: settings.ANSINH_DEMO): the generated commune
lists of the demo province (ansinh.registry.demo_lists) written under VAR_DIR/demo/lists and
imported by the operator, as `ansinh demo setup` runs it; then two moves between the demo communes
(one the new commune has accepted, one waiting for it), so the transfers page has something to show."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

from django.conf import settings

from ansinh.core.jobs import BadInput
from ansinh.core.roles import OPERATOR
from ansinh.registry.importing.files import import_file, list_files
from ansinh.registry.models import Person


def demo_lists_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "lists"


def demo_setup(*, people: int = 60000, seed: int = 1, province: str = "", listener=None,
               paid_through: str | None = None, **_other_steps) -> dict:
    """Generate the demo lists into var/demo/lists (unless already there) and import them all as
    the operator, with the opening position ``paid_through`` ("YYYY-MM") when given.

    ``province`` defaults to core.demo.DEMO_PROVINCE; ``listener(done, total, file name)`` is told
    of each file. Keywords meant for other apps' demo steps are ignored. The generator's
    ground_truth.csv is moved to var/demo/ so the lists folder holds lists only. Idempotent: files
    already imported are skipped by their checksum."""
    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.registry.demo_lists import generate

    if not getattr(settings, "ANSINH_DEMO", False):
        raise BadInput("demo data only in a demo installation (ANSINH_DEMO=1)")
    province = province or DEMO_PROVINCE
    out = demo_lists_dir()
    files = list_files([out]) if out.exists() else []
    generated = None
    if not files:
        generated = generate(province_code=province, people=people, seed=seed, out_dir=out)
        truth = out / "ground_truth.csv"
        if truth.exists():
            truth.replace(out.parent / "ground_truth.csv")
        files = list_files([out])
    t0 = time.perf_counter()
    totals: Counter = Counter()
    failed = []
    for i, f in enumerate(files, 1):
        if listener:
            listener(i - 1, len(files), f.name)
        try:
            rep = import_file(f, OPERATOR, province=province, paid_through=paid_through)
        except BadInput as exc:
            failed.append({"file": f.name, "error": str(exc)})
            continue
        if rep.get("already_imported"):
            totals["already_imported"] += 1
            continue
        for k in ("rows", "imported", "updated", "rejected"):
            totals[k] += rep.get(k, 0)
    if listener:
        listener(len(files), len(files), "xong")
    moved = demo_transfers()
    return {"dir": str(out), "files": len(files), "generated": generated is not None,
            "paid_through": paid_through or "", "rows": totals["rows"], "imported": totals["imported"],
            "updated": totals["updated"], "rejected": totals["rejected"],
            "already_imported": totals["already_imported"], "persons": Person.objects.count(),
            "transfers": moved, "failed": failed, "seconds": round(time.perf_counter() - t0, 2)}


#: The demo's two communes with logins (core.demo: dongkinh, hongphong).
DEMO_COMMUNES = ("05977", "06079")


def demo_transfers(today: dt.date | None = None) -> int:
    """Two moves between the demo communes, dated a few weeks before ``today`` (the demo's communes
    decide from 07/2025, so their chairmen sign): a person of xã Hồng Phong moved to phường Đông Kinh,
    both decisions recorded; a person of phường Đông Kinh moving to xã Hồng Phong, stopped there and
    waiting for Hồng Phong's decision (the `hongphong` login accepts it). Recorded through
    ``registry.transfers`` as the operator. Idempotent: nothing when a transfer exists. Returns the
    transfers made."""
    from ansinh.core.services import current_unit
    from ansinh.registry import transfers
    from ansinh.registry.models import PersonStatus, Transfer

    if Transfer.objects.exists():
        return 0
    today = today or dt.date.today()
    try:
        dk, hp = (current_unit(c) for c in DEMO_COMMUNES)
    except ValueError:  # a province without the demo communes
        return 0

    def someone(commune):  # not among the first few by name, which the complaints demo uses
        return (Person.objects.filter(commune=commune, scope_commune=commune, status=PersonStatus.ALIVE)
                .order_by("name_key", "pk")[10:11].first())

    made = 0
    incoming, outgoing = someone(hp), someone(dk)
    if incoming is not None:
        t = transfers.record_stop(incoming, to_commune=dk, moved_on=today - dt.timedelta(days=40),
                                  number="41/QĐ-UBND", decided_on=today - dt.timedelta(days=36), user=OPERATOR,
                                  source="demo")
        transfers.accept(t, number="87/QĐ-UBND", decided_on=today - dt.timedelta(days=25), user=OPERATOR, village="Khối 5",
                         source="demo")
        made += 1
    if outgoing is not None:
        transfers.record_stop(outgoing, to_commune=hp, moved_on=today - dt.timedelta(days=12),
                              number="53/QĐ-UBND", decided_on=today - dt.timedelta(days=8), user=OPERATOR,
                              source="demo")
        made += 1
    return made
