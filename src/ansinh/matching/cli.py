"""`ansinh matching verify|dedupe`.

`ansinh matching verify POPULATION_FILE --json` checks the registry against a population extract
and prints counts per outcome (verified, differs, proposed, not_found, deceased).

`ansinh matching dedupe PATH... --out clusters.csv` finds the same person listed twice across
commune list files, without any database: the files are read exactly as `ansinh registry import`
reads them (ansinh.registry.reader.read_list) and the output has one row per data row:
source (file name), row (1-based sheet row), cluster (equal value = same person),
match_probability (highest to another member of the cluster; empty for singletons).
Term frequencies come from all the files together, never from one file.
`--engine spark` runs the same settings on a local Spark session (same clusters).
"""
from __future__ import annotations

import csv
from pathlib import Path

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="Matching: duplicate persons, verification against population data.")


@app.command("dedupe")
def dedupe_cmd(
    paths: list[Path] = typer.Argument(..., help="List files (.xlsx .xls .ods .csv) or directories of them."),
    out: Path = typer.Option(..., "--out", help="Output CSV (source,row,cluster,match_probability)."),
    threshold: float = typer.Option(0.9, "--threshold", help="Match probability at which two rows are joined."),
    engine_name: str = typer.Option("duckdb", "--engine", help="duckdb (embedded, default) or spark (local "
                                    "mode; needs pip install -e '.[spark]' and Java 17)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable summary."),
) -> None:
    """Find duplicate persons across list files (no database needed)."""
    from ansinh.matching import backends, engine, listfiles
    from ansinh.registry.reader import ReadError, SUPPORTED_EXTENSIONS

    if engine_name not in backends.ENGINES:
        fail(f"--engine {engine_name}: use one of {', '.join(backends.ENGINES)}")
    if engine_name == "spark" and backends.spark_available():
        fail(f"--engine spark: {backends.spark_available()}")
    if not 0.0 < threshold < 1.0:
        fail("--threshold must be between 0 and 1")
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            fail(f"{p}: file not found")
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS
                                and f.name != "ground_truth.csv"))
        else:
            files.append(p)
    if not files:
        fail(f"no list files in {', '.join(map(str, paths))}")
    try:
        rows, where = listfiles.records_from_files(files)
    except ReadError as exc:
        fail(str(exc))
    try:
        result = engine.dedupe(rows, threshold=threshold, engine=engine_name)
    except (engine.BlockTooLarge, engine.NotTrained, backends.EngineUnavailable) as exc:
        fail(str(exc))
    out_rows = listfiles.cluster_rows(result, where)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "row", "cluster", "match_probability"])
        for r in out_rows:
            w.writerow([r["source"], r["row"], r["cluster"],
                        "" if r["match_probability"] is None else f"{r['match_probability']:.6f}"])
    sizes: dict[int, int] = {}
    for r in out_rows:
        sizes[r["cluster"]] = sizes.get(r["cluster"], 0) + 1
    summary = {"files": len(files), "rows": len(out_rows), "clusters": len(sizes),
               "duplicate_clusters": sum(1 for v in sizes.values() if v > 1),
               "rows_in_duplicate_clusters": sum(v for v in sizes.values() if v > 1),
               "engine": engine_name, "out": str(out), "seconds": result.seconds}
    emit(summary, json_out, lambda s: print(
        f"{s['rows']} dòng trong {s['files']} tệp: {s['duplicate_clusters']} nhóm trùng "
        f"({s['rows_in_duplicate_clusters']} dòng) → {s['out']}"))


@app.command("verify")
def verify_cmd(
    population: Path = typer.Argument(..., help="Population extract (.csv/.xlsx): ID, name, birth date, gender, "
                                                "residence, status / date of death."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do not mark deceased persons."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output (counts per outcome)."),
    details: bool = typer.Option(False, "--details", help="Include one entry per person in the JSON."),
) -> None:
    """Verify the registry against a population extract ("đúng, đủ, sạch, sống")."""
    from ansinh.core.jobs import BadInput
    from ansinh.matching.services import verify_population

    if not population.exists():
        fail(f"{population}: file not found")
    try:
        rep = verify_population(population, apply=not dry_run)
    except BadInput as exc:
        fail(str(exc))
    if not details:
        rep.pop("details", None)
    emit(rep, json_out, lambda r: print(", ".join(f"{k}: {v}" for k, v in r["counts"].items())))
