"""Provider files of a payroll run and the provider result file.

Per provider (a bank by its NAPAS BIN, an e-wallet, or VNPOST for cash) one .csv and one
.xlsx: a header, one row per line, a total row and a checksum line
``#CHECKSUM;lines=N;total_vnd=S;sha256=HEX`` (SHA-256 over the data rows as written, each
"…;…\\n", UTF-8). Bank rows carry a VietQR payload (and a QR image in the .xlsx when
`segno` is installed). The VNPOST cash list is printable: signature column, A4 landscape,
and a PDF made by LibreOffice when ``soffice`` exists.

Result file (.csv, from the provider): columns line_id;status;reason;paid_date[;amount]
with status paid|unpaid and paid_date ISO.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

from ansinh.core.jobs import BadInput
from ansinh.payroll import vietqr
from ansinh.payroll.models import PayrollLine, PayrollRun

PROVIDERS = {
    "970405": "Agribank", "970415": "VietinBank", "970418": "BIDV", "970436": "Vietcombank",
    "970449": "LPBank", "971005": "ViettelMoney", "971011": "VNPTMoney", "999888": "VBSP", "VNPOST": "VNPost",
}
HEADER = ["stt", "line_id", "so_dinh_danh", "ho_ten", "ma_xa", "thang", "so_tien", "kenh", "nguoi_nhan",
          "ngan_hang_bin", "so_tai_khoan", "vietqr"]


def provider_name(code: str) -> str:
    return PROVIDERS.get(code or "", code or "Khac")


def _rows(run: PayrollRun, provider: str):
    qs = (PayrollLine.objects.filter(run=run, provider=provider).select_related("person", "scope_commune")
          .order_by("scope_commune__code", "person__name_key", "id"))
    for i, ln in enumerate(qs.iterator(chunk_size=5000), start=1):
        qr = ""
        if ln.channel in ("bank", "ewallet") and ln.account_number and provider.isdigit():
            try:
                qr = vietqr.payload(provider, ln.account_number, ln.amount, f"TCXH {ln.period_month}")
            except ValueError:
                qr = ""
        yield ln, [i, ln.pk, ln.person.id_number or "", ln.person.full_name,
                   ln.scope_commune.code if ln.scope_commune else "", ln.period_month, ln.amount, ln.channel,
                   ln.payee, provider if provider.isdigit() else "", ln.account_number, qr]


def checksum(rows: list[list]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update((";".join(str(v) for v in r) + "\n").encode("utf-8"))
    return h.hexdigest()


def write_all(run: PayrollRun, out_dir, pdf: bool = True) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    providers = PayrollLine.objects.filter(run=run).values_list("provider", flat=True).distinct().order_by("provider")
    for provider in providers:
        lines_rows = list(_rows(run, provider))
        rows = [r for _, r in lines_rows]
        total = sum(r[6] for r in rows)
        stem = f"run{run.pk}-{run.period}-{provider_name(provider)}"
        paths.append(_write_csv(out / f"{stem}.csv", rows, total))
        if provider == "VNPOST":
            x = _write_cash_xlsx(out / f"{stem}.xlsx", run, lines_rows, total, checksum(rows))
            paths.append(x)
            if pdf and shutil.which("soffice"):
                p = _to_pdf(x)
                if p:
                    paths.append(p)
        else:
            paths.append(_write_bank_xlsx(out / f"{stem}.xlsx", run, provider, rows, total, checksum(rows)))
    paths.append(write_g2p(run, out / f"run{run.pk}-{run.period}-g2p-disburse.json"))
    return paths


def _write_csv(path: Path, rows, total) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
        w.writerow(["TONG", "", "", "", "", "", total, "", "", "", "", ""])
        fh.write(f"#CHECKSUM;lines={len(rows)};total_vnd={total};sha256={checksum(rows)}\n")
    return path


def _title(ws, run, text):
    ws.append([text])
    scope = run.scope_commune.name if run.scope_commune else f"Tỉnh {run.province_code}"
    ws.append([f"Tháng {run.period[5:7]} năm {run.period[:4]} — {scope} — bảng #{run.pk}"])
    ws.append([])


def _write_bank_xlsx(path: Path, run, provider, rows, total, digest) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = provider_name(provider)[:31]
    _title(ws, run, f"DANH SÁCH CHI TRẢ QUA TÀI KHOẢN — {provider_name(provider)}")
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    ws.append(["TONG", "", "", "", "", "", total])
    ws.append([f"#CHECKSUM;lines={len(rows)};total_vnd={total};sha256={digest}"])
    _add_qr_images(ws, rows, first_row=5)
    wb.save(path)
    return path


def _add_qr_images(ws, rows, first_row: int, limit: int = 2000) -> None:
    """A QR image of each line's VietQR payload next to the row (when segno is installed)."""
    try:
        import PIL  # noqa: F401 - openpyxl needs Pillow to embed images
        import segno
        from openpyxl.drawing.image import Image
    except ImportError:
        return
    for i, r in enumerate(rows[:limit]):
        if not r[11]:
            continue
        buf = io.BytesIO()
        segno.make(r[11], error="m").save(buf, kind="png", scale=2, border=2)
        buf.seek(0)
        img = Image(buf)
        ws.add_image(img, f"M{first_row + i}")
        ws.row_dimensions[first_row + i].height = 75


def _write_cash_xlsx(path: Path, run, lines_rows, total, digest) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sach chi tien mat"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.append(["DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI BẰNG TIỀN MẶT (điểm bưu điện)"])
    scope = run.scope_commune.name if run.scope_commune else f"Tỉnh {run.province_code}"
    ws.append([f"Tháng {run.period[5:7]} năm {run.period[:4]} — {scope} — bảng #{run.pk}"])
    ws.append([])
    head = ["STT", "Mã dòng", "Họ và tên", "Năm sinh", "Xã/phường", "Thôn/bản", "Tháng", "Số tiền (đồng)",
            "Người nhận", "Ký nhận"]
    ws.append(head)
    thin = Side(style="thin")
    for c in ws[4]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, horizontal="center")
    for ln, r in lines_rows:
        ws.append([r[0], ln.pk, ln.person.full_name, ln.person.dob.year if ln.person.dob else "",
                   ln.scope_commune.name if ln.scope_commune else "", ln.person.village, f"{ln.period_month[5:]}/"
                   f"{ln.period_month[:4]}", ln.amount,
                   "Đối tượng" if ln.payee == "beneficiary" else "Người được ủy quyền", ""])
        ws.row_dimensions[ws.max_row].height = 28
    ws.append(["", "", "TỔNG CỘNG", "", "", "", "", total, "", ""])
    for row in ws.iter_rows(min_row=4, max_row=ws.max_row):
        for c in row:
            c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.append([f"#CHECKSUM;lines={len(lines_rows)};total_vnd={total};sha256={digest}"])
    ws.append([])
    ws.append(["", "", "Người lập biểu", "", "", "Kế toán", "", "", "Thủ trưởng đơn vị", ""])
    for col, width in zip("ABCDEFGHIJ", (6, 9, 28, 9, 20, 16, 9, 15, 18, 22), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(path)
    return path


def _to_pdf(xlsx: Path) -> Path | None:
    try:
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError):
        return None
    pdf = xlsx.with_suffix(".pdf")
    return pdf if pdf.exists() else None


# --------------------------------------------------------------------------- G2P Connect

def g2p_request(run: PayrollRun, payer_fa: str = "account:SOCIAL-PROTECTION-FUND@VN") -> dict:
    """A G2P Connect disburse request (message part) for the account lines of a run."""
    disb = []
    for ln in (PayrollLine.objects.filter(run=run, channel__in=["bank", "ewallet"]).order_by("id")
               .iterator(chunk_size=5000)):
        disb.append({"reference_id": f"line-{ln.pk}", "payer_fa": payer_fa,
                     "payee_fa": f"account:{ln.account_number}@{ln.provider}",
                     "amount": f"{ln.amount}.00", "currency_code": "VND",
                     "scheduled_timestamp": f"{run.period}-01T00:00:00Z",
                     "note": f"TCXH {ln.period_month}"})
    return {"transaction_id": f"ansinh-run-{run.pk}-{run.period}", "disbursements": disb}


def write_g2p(run: PayrollRun, path: Path) -> Path:
    import json

    path.write_text(json.dumps(g2p_request(run), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- results

def read_result(path) -> list[dict]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{p.name}: cannot read ({exc})") from exc
    dialect_delim = ";" if text.count(";") >= text.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect_delim)
    header = [h.strip().lower() for h in next(reader, [])]
    for col in ("line_id", "status"):
        if col not in header:
            raise BadInput(f"{p.name}: row 1, header: column {col!r} missing")
    idx = {h: i for i, h in enumerate(header)}
    out = []
    for n, row in enumerate(reader, start=2):
        if not row or not row[0].strip() or row[0].startswith("#"):
            continue

        def get(col):
            i = idx.get(col)
            return row[i].strip() if i is not None and i < len(row) else ""

        try:
            line_id = int(get("line_id"))
        except ValueError:
            raise BadInput(f"{p.name}: row {n}, line_id: {get('line_id')!r} is not a number") from None
        status = get("status").lower()
        if status not in ("paid", "unpaid"):
            raise BadInput(f"{p.name}: row {n}, status: {status!r} must be paid or unpaid")
        paid = None
        if get("paid_date"):
            try:
                paid = dt.date.fromisoformat(get("paid_date"))
            except ValueError:
                raise BadInput(f"{p.name}: row {n}, paid_date: {get('paid_date')!r} is not YYYY-MM-DD") from None
        amount = get("amount")
        out.append({"line_id": line_id, "status": status, "reason": get("reason")[:200], "paid_date": paid,
                    "amount": int(amount) if amount.isdigit() else None})
    return out


def write_demo_result(run: PayrollRun, path, unpaid_every: int = 10) -> Path:
    """A plausible provider result: every `unpaid_every`-th line unpaid (not collected)."""
    day = dt.date(int(run.period[:4]), int(run.period[5:7]), 20)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(["line_id", "status", "reason", "paid_date", "amount"])
        for i, (pk, amount) in enumerate(PayrollLine.objects.filter(run=run).order_by("id")
                                         .values_list("id", "amount"), start=1):
            if unpaid_every and i % unpaid_every == 0:
                w.writerow([pk, "unpaid", "not_collected", "", amount])
            else:
                w.writerow([pk, "paid", "", day.isoformat(), amount])
    return Path(path)
