"""Machine description for bench/RESULTS.md (shared by the bench scripts)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(with_memory: bool = False) -> str:
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "?"
    mem = ""
    if with_memory:
        total = _proc_field("/proc/meminfo", "MemTotal")
        if total:
            mem = f"; {int(total.split()[0]) / 1024 / 1024:.0f} GiB RAM"
    return f"{platform.platform()}; CPU {cpu}; {os.cpu_count()} cores{mem}; Python {platform.python_version()}"


RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def record(text: str) -> None:
    """Append a section to bench/RESULTS.md (the append-only log of every bench script)."""
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(text)
