"""Provider files of a payroll run and the provider result file.

Per provider (a bank by its NAPAS BIN, an e-wallet, or VNPOST for cash) one .csv and one
.xlsx: a header, one row per line, a total row and a checksum line
``#CHECKSUM;lines=N;total_vnd=S;sha256=HEX`` (SHA-256 over the data rows as written, each
"…;…\\n", UTF-8). Bank rows carry a VietQR payload (and a QR image in the .xlsx of a
commune's run, up to QR_IMAGE_LIMIT lines per provider). The VNPOST cash list
is printable: signature column, A4 landscape, and a PDF drawn with reportlab. Everything is
written in one streamed pass over the run's lines (no model instances), so a province's
60,000 lines export in seconds.

Result file (.csv, from the provider): columns line_id;status;reason;paid_date[;amount]
with status paid|unpaid and paid_date ISO.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

from django.utils import timezone

from ansinh.core import providers
from ansinh.core.exports import safe_row
from ansinh.core.jobs import BadInput
from ansinh.formats import vn_number
from ansinh.payroll import vietqr
from ansinh.payroll.holds import HELD
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun
from ansinh.payroll.xlsx import AMOUNT, BOLD, BORDER, INT, MONTH, TEXT, Sheet, StreamSheet
from ansinh.payroll.xlsx import HEADER as HEAD
from ansinh.text.dates import parse_iso

MAX_ID = 2**63 - 1  # a line id is a bigint
HEADER = ["stt", "line_id", "so_dinh_danh", "ho_ten", "ma_xa", "thang", "so_tien", "kenh", "nguoi_nhan",
          "ngan_hang_bin", "so_tai_khoan", "vietqr", "ten_chu_tai_khoan"]


# QR images (1-2 ms each) go on the transfer sheet of a commune's run, where an officer may pay a
# line by hand; a province's files are imported by the banks, so they carry the payloads only.
QR_IMAGE_LIMIT = 1000
# The kind of each column in the .xlsx: amounts are numbers shown 1.000.000, the month a real date
# shown mm/yyyy, IDs, codes and account numbers text (leading zeros kept).
BANK_KINDS = (INT, INT, TEXT, TEXT, TEXT, MONTH, AMOUNT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT)
QR_ROW_HEIGHT = 75  # points: a QR image of scale 2 is about 100 px high
CASH_HEAD = ["STT", "Mã dòng", "Họ và tên", "Năm sinh", "Xã/phường", "Thôn/bản", "Tháng", "Số tiền (đồng)",
             "Người nhận", "Ký nhận"]
CASH_KINDS = (INT, INT, TEXT, INT, TEXT, TEXT, MONTH, AMOUNT, TEXT, TEXT)
PAYEE_LABEL = {"beneficiary": "Đối tượng", "authorised": "Người được ủy quyền", "organiser": "Người tổ chức mai táng"}


def run_scope_label(run: PayrollRun) -> str:
    """Whom a run pays, in words, for the files' title lines: the commune's name, or
    "Toàn tỉnh Cao Bằng" (the province's name, never its code)."""
    if run.scope_commune_id:
        return run.scope_commune.name
    from ansinh.core.selectors import province_short_name

    return f"Toàn tỉnh {province_short_name(run.province_code) or run.province_code}".strip()


def _sent_lines(run: PayrollRun):
    """The lines that go to the providers: all but those held by a complaint (payroll/holds.py)."""
    return PayrollLine.objects.filter(run=run).exclude(result=LineResult.PENDING, result_reason=HELD)


def _line_rows(run: PayrollRun):
    """Every line of the run with what the files print, ordered by provider, commune, name: one
    query read in chunks (a server-side cursor on PostgreSQL), no model instances. The account
    (provider, number, holder name) is the line's snapshot, never the account row as it is now;
    ID and account numbers are decrypted chunk by chunk (`_decrypted`)."""
    from django.db import connection

    from ansinh.registry.models import Person
    from ansinh.units.models import AdminUnit

    sql = (f"SELECT l.id, l.provider, COALESCE(p.id_number, ''), p.full_name, COALESCE(u.code, ''),"
           f" COALESCE(u.name, ''), l.period_month, l.amount, l.channel, l.payee, l.account_number, p.dob,"
           f" COALESCE(p.village, ''), l.holder_name"
           f" FROM {PayrollLine._meta.db_table} l JOIN {Person._meta.db_table} p ON p.id = l.person_id"
           f" LEFT JOIN {AdminUnit._meta.db_table} u ON u.id = l.scope_commune_id"
           f" WHERE l.run_id = %s AND NOT (l.result = %s AND l.result_reason = %s)"
           f" ORDER BY l.provider, COALESCE(u.code, ''), p.name_key, l.id")
    with connection.chunked_cursor() as cur:
        cur.execute(sql, [run.pk, LineResult.PENDING, HELD])
        while chunk := cur.fetchmany(5000):
            yield from _decrypted(chunk)


def _decrypted(chunk: list[tuple]) -> list[tuple]:
    """The ID number (column 2) and account number (column 10) of raw rows, decrypted (ansinh.core.crypto):
    the provider's file is the one place they are written whole, so they are decrypted only here."""
    from ansinh.core.crypto import decrypt_many

    ids = decrypt_many([r[2] for r in chunk])
    accounts = decrypt_many([r[10] for r in chunk])
    return [(*r[:2], i, *r[3:10], a, *r[11:]) for r, i, a in zip(chunk, ids, accounts, strict=True)]


def _provider_counts(run: PayrollRun) -> dict[str, int]:
    from django.db.models import Count

    return {r["provider"]: r["n"] for r in _sent_lines(run).values("provider")
            .annotate(n=Count("id")).order_by()}


def checksum(rows: list[list]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update((";".join(str(v) for v in r) + "\n").encode("utf-8"))
    return h.hexdigest()


def purpose(run: PayrollRun | None, month: str) -> str:
    """The transfer's purpose (VietQR tag 62/08, ASCII): the month of a monthly run, the
    campaign of a one-off payment ("DOT CHI 7" = campaign 7, whose name the files print)."""
    if run is not None and run.campaign_id is not None:
        return f"DOT CHI {run.campaign_id}"
    return f"TCXH {month}"


def run_title(run: PayrollRun) -> str:
    """What every file and PDF of a run says it is: the month, or the campaign's name and decision."""
    scope = run_scope_label(run)
    if run.campaign_id is not None:
        c = run.campaign
        return f"{c.name} (QĐ số {c.decision_number} ngày {c.decision_date:%d/%m/%Y}) — {scope} — bảng #{run.pk}"
    return f"Tháng {run.period[5:7]} năm {run.period[:4]} — {scope} — bảng #{run.pk}"


def _qr(provider: str, channel: str, account: str, amount: int, month: str, run: PayrollRun | None = None) -> str:
    if channel not in ("bank", "ewallet") or not account or not provider.isdigit():
        return ""
    try:
        return vietqr.payload(provider, account, amount, purpose(run, month))
    except ValueError:
        return ""


class _ProviderFiles:
    """The .csv and .xlsx (and for VNPOST the PDF) of one provider, written row by row; the
    total and the SHA-256 checksum are kept as the rows go by."""

    def __init__(self, out: Path, run: PayrollRun, provider: str, n_lines: int, pdf: bool):
        self.run, self.provider, self.cash = run, provider, provider == providers.CASH_CODE
        kind = f"dotchi{run.campaign_id}-" if run.campaign_id is not None else ""
        self.stem = out / f"run{run.pk}-{kind}{run.period}-{providers.file_label(provider)}"
        self.n, self.total, self.hash = 0, 0, hashlib.sha256()
        self.fh = open(self.stem.with_suffix(".csv"), "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.csv = csv.writer(self.fh, delimiter=";", lineterminator="\n")
        self.csv.writerow(HEADER)
        self.images = not self.cash and run.scope_commune_id is not None and n_lines <= QR_IMAGE_LIMIT
        self.pdf = _CashPdf(self.stem.with_suffix(".pdf"), run, n_lines) if self.cash and pdf else None
        xlsx = self.stem.with_suffix(".xlsx")
        if self.cash:
            self.sheet = StreamSheet(xlsx, "Danh sach chi tien mat", (6, 9, 28, 9, 20, 16, 9, 15, 18, 22),
                                     landscape=True, row_height=28, print_title_row=4)
            self.sheet.row([cash_heading(run)], BOLD)
            self.sheet.row([self._scope()])
            self.sheet.row([])
            self.sheet.row(CASH_HEAD, HEAD)
            return
        title = providers.file_label(provider)
        # The sheet with QR images (a commune's: small) by XlsxWriter; the rest by hand (decision 0014).
        self.sheet = (Sheet if self.images else StreamSheet)(xlsx, title, (6, 10, 14, 26, 8, 9, 11, 8, 11, 9, 14, 40,
                                                                          26, 14))
        self.sheet.row([f"DANH SÁCH CHI TRẢ QUA TÀI KHOẢN — {title}"], BOLD)
        self.sheet.row([self._scope()])
        note = "Mã VietQR: cột vietqr (ảnh QR: bảng chi của từng xã, hoặc nút QR của dòng trên trang bảng chi)"
        self.sheet.row([] if self.images else [note])
        self.sheet.row(HEADER, HEAD)

    def _scope(self) -> str:
        return run_title(self.run)

    def add(self, r) -> None:
        lid, provider, id_number, name, ccode, cname, month, amount, channel, payee, account, dob, village, holder = r
        self.n += 1
        self.total += amount
        qr = _qr(provider, channel, account, amount, month, self.run)
        # Text cells (the name above all) never start a formula; numbers and amounts stay numbers.
        row = safe_row([self.n, lid, id_number, name, ccode, month, amount, channel, payee,
                        provider if provider.isdigit() else "", account, qr, holder if account else ""])
        self.csv.writerow(row)
        self.hash.update((";".join(map(str, row)) + "\n").encode("utf-8"))
        if not self.cash:
            self.sheet.row(row, kinds=BANK_KINDS)
            if self.images and qr:
                self.sheet.image(qr_png(qr, scale=2, border=2, mask=0), col=len(HEADER), height=QR_ROW_HEIGHT)
            return
        year = str(dob)[:4] if dob else ""
        cash_row = [self.n, lid, name, int(year) if year else "", cname, village, month, amount,
                    PAYEE_LABEL.get(payee, payee), ""]
        self.sheet.row(cash_row, BORDER, kinds=CASH_KINDS)  # the sheet makes text formula-safe
        if self.pdf:  # a PDF shows text as it is (core.pdf), the month as mm/yyyy
            cash_row[6] = f"{month[5:]}/{month[:4]}"
            self.pdf.row(cash_row)

    def close(self) -> list[Path]:
        digest = self.hash.hexdigest()
        check = f"#CHECKSUM;lines={self.n};total_vnd={self.total};sha256={digest}"
        self.csv.writerow(["TONG", "", "", "", "", "", self.total, "", "", "", "", "", ""])
        if self.run.campaign_id is not None:  # a comment line: readers skip it
            self.csv.writerow(["#DOT_CHI", *safe_row([run_title(self.run)])])
        self.fh.write(check + "\n")
        self.fh.close()
        if self.cash:
            self.sheet.row(["", "", "TỔNG CỘNG", "", "", "", "", self.total, "", ""], HEAD, kinds=CASH_KINDS)
            self.sheet.row([check])
            self.sheet.row(["", "", "", "", "", "", "", "Ngày lập:", timezone.localdate(), ""])
            self.sheet.row(["", "", "Người lập biểu", "", "", "Kế toán", "", "", "Thủ trưởng đơn vị", ""], BOLD)
        else:
            self.sheet.row(["TONG", "", "", "", "", "", self.total], BOLD, kinds=BANK_KINDS)
            self.sheet.row([check])
        paths = [self.stem.with_suffix(".csv"), self.sheet.close()]
        if self.pdf:
            paths.append(self.pdf.close(self.total, check))
        return paths


def write_all(run: PayrollRun, out_dir, pdf: bool = True) -> list[Path]:
    """All provider files of a run in one streamed pass over its lines, then the G2P JSON."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = _provider_counts(run)
    paths: list[Path] = []
    cur: _ProviderFiles | None = None
    for r in _line_rows(run):
        if cur is None or cur.provider != r[1]:
            if cur is not None:
                paths += cur.close()
            cur = _ProviderFiles(out, run, r[1], counts.get(r[1], 0), pdf)
        cur.add(r)
    if cur is not None:
        paths += cur.close()
    paths.append(write_g2p(run, out / f"run{run.pk}-{run.period}-g2p-disburse.json"))
    return paths


def qr_payload(line: PayrollLine) -> str:
    """The VietQR payload of a line (empty for cash or an unusable account)."""
    return _qr(line.provider, line.channel, line.account_number, line.amount, line.period_month, line.run)


def qr_png(text: str, scale: int = 4, border: int = 4, mask: int | None = None) -> bytes:
    """A PNG of a QR code. The sheets pass a fixed mask: choosing the best of eight is 3/4 of
    segno's time and every reader copes."""
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m", mask=mask).save(buf, kind="png", scale=scale, border=border)
    return buf.getvalue()


# --------------------------------------------------------------------------- cash list PDF

def cash_heading(run: PayrollRun) -> str:
    if run.campaign_id is not None:
        return f"DANH SÁCH CHI TRẢ BẰNG TIỀN MẶT (điểm bưu điện) — {run.campaign.name}"
    return "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI BẰNG TIỀN MẶT (điểm bưu điện)"


class _CashPdf:
    """The cash list for signatures, A4 landscape, drawn straight on a reportlab canvas (a
    60,000-line list is ~1,700 pages; a table layout engine would take minutes). Each page
    repeats the header; the signature column is left empty; the last page has the total,
    the checksum and the three signature blocks."""

    WIDTHS = (10, 16, 58, 14, 40, 34, 16, 28, 34, 0)  # mm; the signature column takes the rest
    ROW_H = 9  # mm

    def __init__(self, path: Path, run: PayrollRun, n_lines: int):
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.pdfgen.canvas import Canvas

        from reportlab import rl_config

        from ansinh.core.pdf import unicode_fonts

        self.path, self.mm = path, mm
        self.fonts = unicode_fonts()
        self.c = Canvas(str(path), pagesize=landscape(A4), pageCompression=1) if self.fonts else None
        self.a85 = rl_config.useA85
        if self.c:  # binary page streams (read as each page is made): ASCII85 costs a third of the time
            rl_config.useA85 = 0
        self.w, self.h = landscape(A4)
        self.margin = 10 * mm
        used = sum(self.WIDTHS) * mm
        self.cols = [w * mm for w in self.WIDTHS[:-1]] + [self.w - 2 * self.margin - used]
        self.title, self.heading = run_title(run), cash_heading(run)
        self.page, self.y, self.page_top, self.rows_y, self.text = 0, 0.0, 0.0, [], None
        if self.c:
            self._new_page()

    def _new_page(self) -> None:
        c, mm = self.c, self.mm
        if self.text is not None:
            c.drawText(self.text)
            self.text = None
        if self.page:
            self._grid()
            c.showPage()
        self.page += 1
        regular, bold = self.fonts
        top = self.h - self.margin
        if self.page == 1:
            c.setFont(bold, 12)
            c.drawCentredString(self.w / 2, top - 5 * mm, self.heading)
            c.setFont(regular, 9)
            c.drawCentredString(self.w / 2, top - 10 * mm, self.title)
            top -= 14 * mm
        c.setFont(regular, 7)
        c.drawRightString(self.w - self.margin, self.margin / 2, f"{self.title} — trang {self.page}")
        c.setFont(bold, 8)
        self.y = self.page_top = top
        self._cells(CASH_HEAD)
        c.setFont(regular, 8)

    def _cells(self, values, text=None) -> None:
        mm = self.mm
        y0 = self.y - self.ROW_H * mm
        t = text if text is not None else self.c.beginText()
        x = self.margin
        for v, w in zip(values, self.cols, strict=True):
            if v != "":
                s = vn_number(v) if isinstance(v, int) and w > 20 * mm else str(v)
                t.setTextOrigin(x + 1.2 * mm, y0 + 3.2 * mm)
                t.textOut(s[: max(4, int(w / (1.75 * mm)))])
            x += w
        if text is None:
            self.c.drawText(t)
        self.y = y0
        self.rows_y.append(y0)

    def _grid(self) -> None:
        """The page's ruling in one path: a line under every row, the column separators."""
        if not self.rows_y:
            return
        c = self.c
        top, bottom, left, right = self.page_top, self.rows_y[-1], self.margin, self.w - self.margin
        p = c.beginPath()
        for y in [top, *self.rows_y]:
            p.moveTo(left, y)
            p.lineTo(right, y)
        x = left
        for w in [0, *self.cols]:
            x += w
            p.moveTo(x, top)
            p.lineTo(x, bottom)
        c.drawPath(p, stroke=1, fill=0)
        self.rows_y = []

    def row(self, values) -> None:
        if not self.c:
            return
        if self.y - self.ROW_H * self.mm < self.margin + 4 * self.mm:
            self._new_page()
        if self.text is None:
            self.text = self.c.beginText()
            self.text.setFont(self.fonts[0], 8)
        self._cells(values, self.text)

    def close(self, total: int, check: str) -> Path | None:
        if not self.c:
            return None
        c, mm = self.c, self.mm
        regular, bold = self.fonts
        if self.text is not None:
            c.drawText(self.text)
            self.text = None
        if self.y - 40 * mm < self.margin:
            self._new_page()
        c.setFont(bold, 8)
        self._cells(["", "", "TỔNG CỘNG", "", "", "", "", total, "", ""])
        self._grid()
        c.setFont(regular, 6)
        c.drawString(self.margin, self.y - 4 * mm, check)
        c.setFont(bold, 9)
        for i, who in enumerate(("Người lập biểu", "Kế toán", "Thủ trưởng đơn vị")):
            c.drawCentredString(self.margin + (i + 0.5) * (self.w - 2 * self.margin) / 3, self.y - 12 * mm, who)
        try:
            c.save()
        finally:
            from reportlab import rl_config

            rl_config.useA85 = self.a85
        return self.path


# --------------------------------------------------------------------------- G2P Connect

def g2p_request(run: PayrollRun, payer_fa: str = "account:SOCIAL-PROTECTION-FUND@VN") -> dict:
    """A G2P Connect disburse request (message part) for the account lines of a run."""
    disb = []
    for pk, account, provider, amount, month in (
            _sent_lines(run).filter(channel__in=["bank", "ewallet"]).order_by("id")
            .values_list("id", "account_number", "provider", "amount", "period_month").iterator(chunk_size=5000)):
        disb.append({"reference_id": f"line-{pk}", "payer_fa": payer_fa,
                     "payee_fa": f"account:{account}@{provider}",
                     "amount": f"{amount}.00", "currency_code": "VND",
                     "scheduled_timestamp": f"{run.period}-01T00:00:00Z",
                     "note": f"TCXH {month}"})
    return {"transaction_id": f"ansinh-run-{run.pk}-{run.period}", "disbursements": disb}


def write_g2p(run: PayrollRun, path: Path) -> Path:
    import json

    path.write_text(json.dumps(g2p_request(run), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- results

def read_result(path, name: str | None = None) -> list[dict]:
    """The rows of a provider result file (CSV: line_id, status, reason, paid_date, amount).

    BadInput names the file by ``name`` (the upload's name; default the file's own name, never
    its folder) and the row and field; the size limits of ansinh.core.limits come first."""
    from ansinh.core.limits import InputRefused, check_row_width, check_table_file, display_name

    p = Path(path)
    fname = display_name(p, name)
    try:
        info = check_table_file(p, fname)
    except InputRefused as exc:
        raise BadInput(str(exc)) from None
    if info["kind"] != "text":
        raise BadInput(f"{fname}: not a CSV file (a spreadsheet or archive); save the result as CSV UTF-8")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadInput(f"{fname}: cannot read ({exc.strerror or 'error'})") from None
    if not data.strip():
        raise BadInput(f"{fname}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise BadInput(f"{fname}: not valid UTF-16 text") from None
    elif b"\x00" in data:
        raise BadInput(f"{fname}: not a text file (it holds NUL bytes); save the result as CSV UTF-8")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise BadInput(f"{fname}: row {row}: not UTF-8 text; save the result as CSV UTF-8") from None
    del data
    try:
        return _result_rows(text, fname, check_row_width)
    except InputRefused as exc:
        raise BadInput(str(exc)) from None
    except csv.Error as exc:
        raise BadInput(f"{fname}: cannot read the CSV ({' '.join(str(exc).split())[:120]})") from None


def _result_rows(text: str, fname: str, check_row_width) -> list[dict]:
    dialect_delim = ";" if text.count(";") >= text.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect_delim)
    header = [h.strip().lower() for h in next(reader, [])]
    check_row_width(fname, 1, len(header))
    for col in ("line_id", "status"):
        if col not in header:
            raise BadInput(f"{fname}: row 1, header: column {col!r} missing")
    idx = {h: i for i, h in enumerate(header)}
    out = []
    for n, row in enumerate(reader, start=2):
        check_row_width(fname, n, len(row))
        if not row or not row[0].strip() or row[0].startswith("#"):
            continue

        def get(col):
            i = idx.get(col)
            return row[i].strip() if i is not None and i < len(row) else ""

        try:
            line_id = int(get("line_id"))
        except ValueError:
            raise BadInput(f"{fname}: row {n}, line_id: {get('line_id')[:40]!r} is not a number") from None
        if not 0 < line_id <= MAX_ID:
            raise BadInput(f"{fname}: row {n}, line_id: {get('line_id')[:40]} is not a line id")
        status = get("status").lower()
        if status not in ("paid", "unpaid"):
            raise BadInput(f"{fname}: row {n}, status: {status[:40]!r} must be paid or unpaid")
        paid = None
        if get("paid_date"):
            try:
                paid = parse_iso(get("paid_date"))
            except ValueError:
                raise BadInput(f"{fname}: row {n}, paid_date: {get('paid_date')[:40]!r} is not YYYY-MM-DD") from None
        amount = get("amount").replace(".", "").replace(",", "").replace(" ", "")
        if amount and not amount.isdigit():
            raise BadInput(f"{fname}: row {n}, amount: {get('amount')[:40]!r} is not a whole number of đồng")
        out.append({"row": n, "line_id": line_id, "status": status, "reason": get("reason")[:200],
                    "paid_date": paid if status == "paid" else None, "amount": int(amount) if amount else None})
    return out


def write_demo_result(run: PayrollRun, path, unpaid_every: int = 10) -> Path:
    """A plausible provider result: every `unpaid_every`-th line unpaid (not collected). Demo
    installations only (settings.ANSINH_DEMO): a real run is reconciled from the provider's file."""
    from django.conf import settings

    if not getattr(settings, "ANSINH_DEMO", False):
        raise BadInput("demo result files exist only in demo installations (ANSINH_DEMO=1)")
    day = dt.date(int(run.period[:4]), int(run.period[5:7]), 20)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(["line_id", "status", "reason", "paid_date", "amount"])
        for i, (pk, amount) in enumerate(_sent_lines(run).order_by("id")
                                         .values_list("id", "amount"), start=1):
            if unpaid_every and i % unpaid_every == 0:
                w.writerow([pk, "unpaid", "not_collected", "", amount])
            else:
                w.writerow([pk, "paid", "", day.isoformat(), amount])
    return Path(path)
