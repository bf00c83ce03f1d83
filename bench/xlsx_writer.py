"""XlsxWriter (`constant_memory`, typed cells) against the hand-written .xlsx writer (issue 19
step 6, decision 0014), on the .xlsx sheets of a 60,000-beneficiary payroll run, in the same
process.

Makes the synthetic province of bench/payroll.py in a throwaway PostgreSQL database, generates
and approves the run, reads its lines once (`payroll.files._line_rows`) and builds every sheet
row as `files._ProviderFiles.add` does. Then, alternating, each writer writes all the .xlsx of
the run (one bank sheet per account provider, the cash list for VNPOST, headers, totals and
checksum lines): the hand-written one before typed cells (`payroll/xlsx.py` as of BASELINE,
read from git: inline strings, no number formats), the typed hand-written one
(`ansinh.payroll.xlsx.StreamSheet`) and XlsxWriter (`ansinh.payroll.xlsx.Sheet`), the last two
with the same cells (amounts `#,##0`, months real dates, IDs text). Rows are built before the
clock starts, so only the writing is timed. Last, the whole export as shipped
(`approval.export`, .csv + .xlsx + G2P, without and with the cash-list PDF).
Appends to bench/RESULTS.md.

    BENCH_PAYROLL_DB=bench_xlsx .venv/bin/python bench/xlsx_writer.py [--n 60000] [--repeat 3] [--no-write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "694916a131950bd2d637860155a4f7de975e7259"  # main before the switch: hand-rolled writer
os.environ.setdefault("BENCH_PAYROLL_DB", "bench_xlsx")
sys.path.insert(0, str(ROOT / "bench"))


def old_writer():
    """The hand-rolled XlsxStream as it was at BASELINE."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE}:src/ansinh/payroll/xlsx.py"],
                         check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="xlsx-old-")) / "old_xlsx.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_xlsx", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sheets_of(run) -> list[dict]:
    """Per provider: what a sheet holds (title rows, header, data rows old-style and new-style)."""
    from ansinh.core import providers
    from ansinh.core.exports import safe_row
    from ansinh.payroll import files

    out: list[dict] = []
    cur = None
    for r in files._line_rows(run):
        lid, provider, id_number, name, ccode, cname, month, amount, channel, payee, account, dob, village, holder = r
        if cur is None or cur["provider"] != provider:
            cur = {"provider": provider, "cash": provider == providers.CASH_CODE, "old": [], "new": [], "total": 0}
            out.append(cur)
        n = len(cur["new"]) + 1
        cur["total"] += amount
        qr = files._qr(provider, channel, account, amount, month)
        if not cur["cash"]:
            row = safe_row([n, lid, id_number, name, ccode, month, amount, channel, payee,
                            provider if provider.isdigit() else "", account, qr, holder if account else ""])
            cur["old"].append(row)
            cur["new"].append(row)
        else:
            year = str(dob)[:4] if dob else ""
            row = safe_row([n, lid, name, int(year) if year else "", cname, village, month, amount,
                            files.PAYEE_LABEL.get(payee, payee), ""])
            cur["new"].append(row)
            cur["old"].append(row[:6] + [f"{month[5:]}/{month[:4]}"] + row[7:])
    return out


def write_old(mod, sheets, out: Path) -> int:
    from ansinh.payroll import files

    size = 0
    for s in sheets:
        p = out / f"old-{s['provider']}.xlsx"
        if s["cash"]:
            w = mod.XlsxStream(p, "Danh sach chi tien mat", (6, 9, 28, 9, 20, 16, 9, 15, 18, 22),
                               landscape=True, row_height=28, print_title_row=4)
            w.row(["DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI BẰNG TIỀN MẶT (điểm bưu điện)"], 3)
            w.row(["Tháng 12 năm 2025 — Tỉnh — bảng #1"])
            w.row([])
            w.row(files.CASH_HEAD, mod.HEADER)
            for row in s["old"]:
                w.row(row, 2)
            w.row(["", "", "TỔNG CỘNG", "", "", "", "", s["total"], "", ""], 1)
            w.row(["#CHECKSUM;…"])
        else:
            w = mod.XlsxStream(p, s["provider"], (6, 10, 14, 26, 8, 9, 11, 8, 11, 9, 14, 40, 26))
            w.row(["DANH SÁCH CHI TRẢ QUA TÀI KHOẢN"], 3)
            w.row(["Tháng 12 năm 2025 — Tỉnh — bảng #1"])
            w.row(["Mã VietQR: cột vietqr"])
            w.row(files.HEADER, mod.HEADER)
            for row in s["old"]:
                w.row(row)
            w.row(["TONG", "", "", "", "", "", s["total"]], 3)
            w.row(["#CHECKSUM;…"])
        size += w.close().stat().st_size
    return size


def write_new(Sheet, sheets, out: Path, tag: str) -> int:
    """All sheets by `Sheet` (XlsxWriter's `Sheet` or the hand-written `StreamSheet`: same cells)."""
    from ansinh.payroll import files
    from ansinh.payroll.xlsx import BOLD, BORDER, HEADER

    size = 0
    for s in sheets:
        p = out / f"{tag}-{s['provider']}.xlsx"
        if s["cash"]:
            w = Sheet(p, "Danh sach chi tien mat", (6, 9, 28, 9, 20, 16, 9, 15, 18, 22),
                      landscape=True, row_height=28, print_title_row=4)
            w.row(["DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI BẰNG TIỀN MẶT (điểm bưu điện)"], BOLD)
            w.row(["Tháng 12 năm 2025 — Tỉnh — bảng #1"])
            w.row([])
            w.row(files.CASH_HEAD, HEADER)
            for row in s["new"]:
                w.row(row, BORDER, kinds=files.CASH_KINDS)
            w.row(["", "", "TỔNG CỘNG", "", "", "", "", s["total"], "", ""], HEADER, kinds=files.CASH_KINDS)
            w.row(["#CHECKSUM;…"])
            w.row(["", "", "", "", "", "", "", "Ngày lập:", dt.date.today(), ""])
        else:
            w = Sheet(p, s["provider"], (6, 10, 14, 26, 8, 9, 11, 8, 11, 9, 14, 40, 26, 14))
            w.row(["DANH SÁCH CHI TRẢ QUA TÀI KHOẢN"], BOLD)
            w.row(["Tháng 12 năm 2025 — Tỉnh — bảng #1"])
            w.row(["Mã VietQR: cột vietqr"])
            w.row(files.HEADER, HEADER)
            for row in s["new"]:
                w.row(row, kinds=files.BANK_KINDS)
            w.row(["TONG", "", "", "", "", "", s["total"]], BOLD, kinds=files.BANK_KINDS)
            w.row(["#CHECKSUM;…"])
        size += w.close().stat().st_size
    return size


def check_new(out: Path, sheets) -> str:
    """Read the first bank sheet of both typed writers back: amounts numeric with #,##0, month a
    date, ID text; and both writers' cells equal."""
    import openpyxl

    bank = next(s for s in sheets if not s["cash"])
    got = {}
    for tag in ("lib", "hand"):
        ws = openpyxl.load_workbook(out / f"{tag}-{bank['provider']}.xlsx", read_only=True).active
        row = next(ws.iter_rows(min_row=5, max_row=5))
        assert isinstance(row[6].value, int) and row[6].number_format == "#,##0", row[6]
        assert isinstance(row[5].value, dt.datetime) and row[5].number_format == "mm/yyyy", row[5]
        assert isinstance(row[2].value, str) and row[2].value.startswith("0"), row[2]  # leading zeros kept
        got[tag] = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=1005)]
    assert got["lib"] == got["hand"]
    return ("both typed writers read back with openpyxl: amount numeric `#,##0`, month a date `mm/yyyy`, ID text "
            "with its leading zeros; the first 1,000 lines equal cell by cell")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    import payroll as pb  # bench/payroll.py: the synthetic province

    load0 = os.getloadavg()
    pb.setup(a.pg)
    import xlsxwriter
    from django.db import connection, transaction

    from _machine import machine, record
    from ansinh.payroll import approval
    from ansinh.payroll import generate

    maker = pb._bench_user("bench-maker", "province_officer")
    checker = pb._bench_user("bench-checker", "approver")
    pb.populate(a.n)
    with connection.cursor() as cur:  # bench/payroll.py's accounts predate maker-checker: approve them
        cur.execute("UPDATE registry_paymentaccount SET approval = 'approved'")
    with transaction.atomic():
        run = generate.generate("2025-12", province_code="20", user=maker)
    approval.approve(run, checker)
    sheets = sheets_of(run)
    lines = sum(len(s["new"]) for s in sheets)
    mod = old_writer()
    from ansinh.payroll.xlsx import Sheet, StreamSheet

    old_t, lib_t, hand_t = [], [], []
    sizes = {}
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        for _ in range(a.repeat):
            t = time.perf_counter()
            sizes["old"] = write_old(mod, sheets, out)
            old_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            sizes["lib"] = write_new(Sheet, sheets, out, "lib")
            lib_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            sizes["hand"] = write_new(StreamSheet, sheets, out, "hand")
            hand_t.append(time.perf_counter() - t)
        checked = check_new(out, sheets)
    exports = {}
    for pdf in (False, True):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            paths = approval.export(run, d, user=checker, pdf=pdf)
            exports[pdf] = (time.perf_counter() - t, len(paths))
        run.status = "approved"  # export again: the bench only times the writing
        run.save(update_fields=["status"])
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        ver = cur.fetchone()[0].split(" on ")[0]
    connection.close()
    pb._admin(a.pg, f"DROP DATABASE IF EXISTS {os.environ['BENCH_PAYROLL_DB']}")
    best_old, best_lib, best_hand = min(old_t), min(lib_t), min(hand_t)
    ratio = best_lib / best_hand
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    n_cash = sum(len(s["new"]) for s in sheets if s["cash"])

    def times(ts):
        return f"{', '.join(f'{x:.2f}' for x in ts)} s; best **{min(ts):.2f} s**, median {statistics.median(ts):.2f} s"

    text = "\n".join([
        f"\n## xlsx writer (XlsxWriter vs hand-written) — {now}\n",
        f"- machine: {machine(with_memory=True)}; {ver}",
        f"- date: {now}; load average at start (1/5/15 min): {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}; "
        f"after: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (other sessions' tests shared the 2 cores)",
        f"- data: bench/payroll.py's synthetic province (accounts approved), {a.n:,} beneficiaries → run of "
        f"{lines:,} lines ({len(sheets)} sheets: {len(sheets) - 1} bank/e-wallet sheets of 13 columns, cash list of "
        f"{n_cash:,} rows × 10 columns); rows built before timing, the same rows for every writer; {a.repeat} rounds, "
        "the writers alternating within each round",
        f"- hand-written, before (`payroll/xlsx.py` at {BASELINE[:7]}: inline strings, no number formats): "
        f"{times(old_t)}; {sizes['old'] / 1e6:.1f} MB",
        f"- hand-written, typed (`ansinh.payroll.xlsx.StreamSheet`: amounts `#,##0`, month a date `mm/yyyy`, IDs "
        f"text `@`, formula-safe text): {times(hand_t)}; {sizes['hand'] / 1e6:.1f} MB",
        f"- XlsxWriter {xlsxwriter.__version__} (`ansinh.payroll.xlsx.Sheet`, `constant_memory=True`, the same typed "
        f"cells): {times(lib_t)}; {sizes['lib'] / 1e6:.1f} MB",
        f"- ratio XlsxWriter / hand-written typed: **{ratio:.2f}×** best, "
        f"{statistics.median(lib_t) / statistics.median(hand_t):.2f}× median (typed / before: "
        f"{best_hand / best_old:.2f}×); the rule (switch unless more than 2× slower): "
        f"{'switch' if ratio <= 2 else 'do NOT switch'}",
        f"- check: {checked}",
        f"- whole export as shipped (`approval.export`: every .csv + .xlsx, G2P JSON): "
        f"{exports[False][0]:.2f} s ({exports[False][1]} files); with the cash-list PDF {exports[True][0]:.2f} s "
        f"({exports[True][1]} files)",
    ]) + "\n"
    print(text)
    if not a.no_write:
        record(text)


if __name__ == "__main__":
    main()
