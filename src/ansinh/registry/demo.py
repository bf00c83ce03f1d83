"""The registry's demo step (demo installations only: settings.ANSINH_DEMO): the generated commune
lists of the demo province (ansinh.registry.demo_lists) written under VAR_DIR/demo/lists and
imported by the operator, as `ansinh demo setup` runs it."""
from __future__ import annotations

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
    return {"dir": str(out), "files": len(files), "generated": generated is not None,
            "paid_through": paid_through or "", "rows": totals["rows"], "imported": totals["imported"],
            "updated": totals["updated"], "rejected": totals["rejected"],
            "already_imported": totals["already_imported"], "persons": Person.objects.count(),
            "failed": failed, "seconds": round(time.perf_counter() - t0, 2)}
