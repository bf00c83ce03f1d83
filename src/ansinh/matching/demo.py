"""Demo step of matching (`ansinh demo setup`, settings.ANSINH_DEMO): a duplicate-review run
over the demo registry."""
from __future__ import annotations

from ansinh.core.jobs import BadInput
from ansinh.matching.models import MatchRun
from ansinh.matching.services import run_registry_dedupe
from ansinh.registry.models import Person


def demo_setup(**kwargs) -> dict:
    """Idempotent: run the registry dedupe when no run exists yet."""
    if MatchRun.objects.exists() or not Person.objects.exists():
        return {"matching": "skipped"}
    try:
        run = run_registry_dedupe(threshold=0.9)
    except BadInput as exc:
        return {"matching": f"skipped: {exc}"}
    return {"matching_run": run.pk, "pairs": run.pairs, "clusters": run.clusters}
