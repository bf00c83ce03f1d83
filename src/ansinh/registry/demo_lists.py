"""Demo data: realistic, messy commune beneficiary lists with a ground truth.

``generate(province_code=core.demo.DEMO_PROVINCE (Lạng Sơn), people=60000, seed=1, out_dir=...)`` writes one list
per pre-2025 commune of the province (Lạng Sơn: 194 communes in 11 districts, from
``vietnamadminunits``), as the communes really send them:

========== ===============================================================================
layout     what it looks like
========== ===============================================================================
merged     .xlsx, title rows (UBND XÃ …, CỘNG HÒA …, Độc lập …, DANH SÁCH …, Tháng 01 năm
           2024), two-row merged header with "Ngày tháng năm sinh" over "Nam"/"Nữ",
           numbering row (1) (2) …, "Tổng cộng" row, footer signature block
sections   as merged, with section-heading rows "I. NGƯỜI CAO TUỔI" … and STT restarting
simple     .xlsx, one header row with varied spellings (Họ tên, Năm sinh year-only,
           Số CMND/CCCD, Giới tính), some with IDs stored as numbers (leading 0 lost)
tcvn3      merged or simple layout, every text cell TCVN3-encoded, font .VnTime
vni        merged or simple layout, every text cell VNI-encoded, font VNI-Times
csv        .csv (";" or ","), UTF-8 with BOM, one header row
========== ===============================================================================

People: Kinh and Tày/Nùng names, 12-digit IDs with a consistent structure (020 +
century/gender digit + YY + 6 digits) and some 9-digit CMND, categories by realistic
shares with a consistent age, coefficient and amount at 360,000 đ (January 2024),
villages, a few bank accounts and phone numbers.

Faults, with the ground truth in ``ground_truth.csv`` (one line per data row):
duplicates within a commune (~3 %) and across communes (~1.5 %) re-typed with a name
typo, missing diacritics, day/month swapped, year-only date of birth, a transposed or
missing ID; wrong IDs (~1 %: gender or year digit inconsistent); missing IDs (~2 %);
deceased people still listed (~0.5 %, ground truth only); unmappable category labels
and invalid dates (a few).

ground_truth.csv columns: file, row (1-based sheet row), person_key (same value = same
real person), faults (";"-separated), deceased_on, layout, category_code,
category_label, true_full_name, true_gender, true_dob, true_id_number,
written_full_name, written_dob, written_id_number.  ``written_*`` is what the row
says (Unicode, before any legacy encoding or case/spacing variation): the reader
must give back ``normalize_name(written_full_name)``, the date ``written_dob``
("YYYY-MM-DD" or "YYYY" for year-only, the raw text when the fault is dob_invalid)
and ``written_id_number`` (empty when missing).
"""
from __future__ import annotations

import csv
import os
import random
import time
from datetime import date
from pathlib import Path

from ansinh.registry.demo_people import (
    BAD_DATES, CATEGORY_LABEL_VARIANTS, UNMAPPABLE_LABELS, Entry, Person, _communes, _name_typo, _person,
    _slug, _strip_marks, _transpose, _villages,
)
from ansinh.registry.demo_sheets import _assign_layouts, _FileSpec, _write_file
from ansinh.text.legacy import unicode_to_tcvn3, unicode_to_vni

__all__ = ["generate"]

# --------------------------------------------------------------------------- main

def generate(province_code: str, people: int = 60000, seed: int = 1,
             out_dir: Path | str = Path("demo-data"), workers: int | None = None) -> dict:
    """Write one beneficiary list per commune plus ground_truth.csv; return a summary.

    ``people`` is the number of distinct (real) people; the lists have a few percent
    more rows because of the duplicates.  Deterministic for a given seed (whatever
    ``workers`` is).  ``workers``: processes writing the files (default: the CPU
    count, at most 8; 1 = in this process).
    """
    t0 = time.perf_counter()
    rng = random.Random(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    communes = _communes(province_code)
    id_prefix = f"{int(province_code):03d}"
    n_c = len(communes)

    # people per commune
    weights = [rng.uniform(0.4, 1.6) * (0.6 if c["wardType"] != "Xã" else 1.0) for c in communes]
    wsum = sum(weights)
    counts = [int(people * w / wsum) for w in weights]
    for k in rng.sample(range(n_c), people - sum(counts)):
        counts[k] += 1

    lists: list[list[Entry]] = []
    all_people: list[tuple[int, Person]] = []
    pid = 0
    for ci, c in enumerate(communes):
        villages = _villages(rng, c["wardType"])
        entries = []
        for _ in range(counts[ci]):
            pid += 1
            p = _person(rng, f"P{pid:06d}", villages, id_prefix)
            entries.append(Entry(person=p, name=p.full_name, dob=p.dob, id_number=p.id_number))
            all_people.append((ci, p))
        lists.append(entries)

    # faults on the original rows
    summary_faults: dict[str, int] = {}

    def mark(e: Entry, f: str):
        e.faults.append(f)
        summary_faults[f] = summary_faults.get(f, 0) + 1

    for entries in lists:
        for e in entries:
            x = rng.random()
            p = e.person
            if x < 0.01 and len(p.id_number) == 12:
                if rng.random() < 0.5:
                    g = int(p.id_number[3])
                    e.id_number = p.id_number[:3] + str(g ^ 1) + p.id_number[4:]
                    mark(e, "id_bad_gender_digit")
                else:
                    yy = (int(p.id_number[4:6]) + rng.randint(1, 9)) % 100
                    e.id_number = p.id_number[:4] + f"{yy:02d}" + p.id_number[6:]
                    mark(e, "id_bad_year")
            elif x < 0.03:
                e.id_number = None
                mark(e, "id_missing")
            y = rng.random()
            if y < 0.003:
                e.dob_text = rng.choice(BAD_DATES)
                e.dob = None
                mark(e, "dob_invalid")
            if rng.random() < 0.003:
                e.category_label = rng.choice(UNMAPPABLE_LABELS)
                mark(e, "category_unmappable")
            if rng.random() < 0.005:
                p.deceased_on = date(2023, rng.randint(6, 12), rng.randint(1, 28))
                mark(e, "deceased")

    def variant(p: Person, base_fault: str) -> Entry:
        e = Entry(person=p, name=p.full_name, dob=p.dob, id_number=p.id_number)
        mark(e, base_fault)
        muts = rng.sample(["name_typo", "name_no_diacritics", "dob_day_month_swapped", "dob_year_only",
                           "id_transposed", "id_missing", "none"], rng.choice([1, 1, 2]))
        for m in muts:
            if m == "name_typo":
                e.name = _name_typo(rng, e.name)
            elif m == "name_no_diacritics":
                e.name = _strip_marks(e.name)
            elif m == "dob_day_month_swapped":
                if p.dob.day <= 12 and p.dob.day != p.dob.month:
                    e.dob = date(p.dob.year, p.dob.day, p.dob.month)
                else:
                    continue
            elif m == "dob_year_only":
                e.dob_year_only = True
            elif m == "id_transposed":
                t = _transpose(rng, p.id_number)
                if t == p.id_number:
                    continue
                e.id_number = t
            elif m == "id_missing":
                e.id_number = None
            else:
                continue
            mark(e, m)
        return e

    # duplicates within the commune (~3 %) and across communes (~1.5 %)
    n_in = round(people * 0.03)
    n_across = round(people * 0.015)
    for ci, p in rng.sample(all_people, min(len(all_people), n_in)):
        lst = lists[ci]
        lst.insert(rng.randrange(len(lst) + 1), variant(p, "duplicate_in_commune"))
    if n_c > 1:
        for ci, p in rng.sample(all_people, min(len(all_people), n_across)):
            # usually a neighbouring commune of the same district
            same = [k for k, c in enumerate(communes) if c["districtCode"] == communes[ci]["districtCode"]
                    and k != ci]
            cj = rng.choice(same) if same and rng.random() < 0.8 else rng.choice(
                [k for k in range(n_c) if k != ci])
            lst = lists[cj]
            lst.insert(rng.randrange(len(lst) + 1), variant(p, "duplicate_other_commune"))

    # layouts and writing
    layouts = _assign_layouts(rng, n_c)
    by_layout: dict[str, int] = {}
    jobs = []
    for ci, c in enumerate(communes):
        entries = lists[ci]
        layout = layouts[ci]
        spec = _FileSpec(commune=c, layout=layout, base=layout,
                         label_style=rng.randrange(6), header_variant=rng.randrange(12),
                         dob_as_date=rng.random() < 0.6, upper_names=rng.random() < 0.05,
                         new_style_tones=rng.random() < 0.1, with_accounts=rng.random() < 0.5,
                         with_decision=rng.random() < 0.3, delimiter=rng.choice([";", ";", ","]))
        if layout in ("tcvn3", "vni"):
            spec.base = rng.choice(["merged", "simple"])
            spec.encode = unicode_to_tcvn3 if layout == "tcvn3" else unicode_to_vni
            spec.font = ".VnTime" if layout == "tcvn3" else "VNI-Times"
            spec.upper_names = False
            spec.new_style_tones = False
        if spec.base == "simple":
            spec.dob_year_only = rng.random() < 0.4
            spec.id_numeric = rng.random() < 0.25
            spec.dob_as_date = rng.random() < 0.3
        for e in entries:
            if not e.category_label:
                variants = CATEGORY_LABEL_VARIANTS[e.person.category]
                e.category_label = variants[(spec.label_style + (1 if rng.random() < 0.05 else 0)) % len(variants)]
        slug = _slug(c["wardShort"])
        ext = ".csv" if layout == "csv" else ".xlsx"
        fname = f"{c['districtCode']}_{c['wardCode']}_{slug}{ext}"
        jobs.append((str(out / fname), spec, entries, f"{seed}/{fname}"))
        by_layout[layout] = by_layout.get(layout, 0) + 1

    # write the files (openpyxl is the slow part: in parallel processes when possible;
    # each file draws its layout details from its own seeded RNG, so the output does not
    # depend on the number of workers)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    if workers > 1 and len(jobs) >= 4:
        import concurrent.futures as cf
        import multiprocessing as mp

        # forkserver: the writers start from a clean server process, not a fork of this one,
        # which may hold threads and native handles (DuckDB, Arrow, Spark) that a forked
        # child must not inherit; each writer imports this module and openpyxl only.
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_write_file, jobs, chunksize=4))
    else:
        results = [_write_file(job) for job in jobs]

    gt_rows = []
    n_rows = 0
    for (path, spec, entries, _), written in zip(jobs, results):
        fname = Path(path).name
        layout = spec.layout
        for row, k in written:
            e = entries[k]
            p = e.person
            dob_year_only = e.dob_year_only or (spec.dob_year_only and layout != "csv")
            if e.dob_text is not None:
                wdob = e.dob_text
            elif dob_year_only:
                wdob = str(e.dob.year)
            else:
                wdob = e.dob.isoformat()
            gt_rows.append([fname, row, p.key, ";".join(e.faults),
                            p.deceased_on.isoformat() if p.deceased_on else "", layout, p.category,
                            e.category_label, p.full_name, p.gender, p.dob.isoformat(), p.id_number,
                            e.name, wdob, e.id_number or ""])
        n_rows += len(written)

    gt_path = out / "ground_truth.csv"
    with open(gt_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "person_key", "faults", "deceased_on", "layout", "category_code",
                    "category_label", "true_full_name", "true_gender", "true_dob", "true_id_number",
                    "written_full_name", "written_dob", "written_id_number"])
        w.writerows(gt_rows)
    return {
        "province_code": str(province_code),
        "out_dir": str(out),
        "ground_truth": str(gt_path),
        "files": n_c,
        "people": people,
        "rows": n_rows,
        "layouts": by_layout,
        "faults": dict(sorted(summary_faults.items())),
        "deceased": summary_faults.get("deceased", 0),
        "seconds": round(time.perf_counter() - t0, 2),
    }
