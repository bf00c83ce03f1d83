"""Demo list layouts: how one generated commune list is written (merged header, sections,
simple header, TCVN3/VNI legacy fonts, CSV); see ansinh.registry.demo_lists."""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ansinh.registry.demo_people import (
    GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M, NEW_STYLE, SECTION_OF, SECTION_TITLES, SURNAMES, Entry, _weighted,
)


LAYOUT_SHARES = [("merged", 0.44), ("simple", 0.31), ("sections", 0.06), ("csv", 0.08),
                 ("tcvn3", 0.07), ("vni", 0.04)]


def _assign_layouts(rng: random.Random, n: int) -> list[str]:
    out = []
    for name, share in LAYOUT_SHARES:
        k = max(1, round(share * n)) if n >= len(LAYOUT_SHARES) else 0
        out += [name] * k
    while len(out) < n:
        out.append("merged")
    out = out[:n]
    rng.shuffle(out)
    return out


@dataclass
class _FileSpec:
    commune: dict
    layout: str
    base: str                        # "merged"/"simple" structure (for tcvn3/vni: the one used)
    encode: object = None            # callable or None
    font: str | None = None
    label_style: int = 0
    dob_as_date: bool = True
    dob_year_only: bool = False
    id_numeric: bool = False
    upper_names: bool = False
    new_style_tones: bool = False
    header_variant: int = 0
    with_accounts: bool = False
    with_decision: bool = False
    delimiter: str = ";"


def _title_kind(commune: dict) -> str:
    return {"Xã": "XÃ", "Phường": "PHƯỜNG", "Thị trấn": "THỊ TRẤN"}[commune["wardType"]]


def _display_name(spec: _FileSpec, e: Entry) -> str:
    name = e.name
    if spec.new_style_tones:
        name = " ".join(NEW_STYLE.get(w, w) for w in name.split())
    if spec.upper_names:
        name = name.upper()
    return name


def _dob_cell(spec: _FileSpec, e: Entry, rng: random.Random):
    if e.dob_text is not None:
        return e.dob_text
    if e.dob_year_only or spec.dob_year_only:
        return e.dob.year if rng.random() < 0.7 else str(e.dob.year)
    if spec.dob_as_date:
        return e.dob
    fmt = rng.random()
    if fmt < 0.85:
        return e.dob.strftime("%d/%m/%Y")
    if fmt < 0.93:
        return e.dob.strftime("%d-%m-%Y")
    return f"{e.dob.day}.{e.dob.month}.{e.dob.year}"


def _id_cell(spec: _FileSpec, e: Entry):
    if not e.id_number:
        return None
    if spec.id_numeric and e.id_number.isdigit():
        return int(e.id_number)
    return e.id_number


class _Sheet:
    """openpyxl worksheet wrapper: row counter, legacy encoding + font, merges."""

    @classmethod
    def new(cls, spec: _FileSpec, title: str) -> _Sheet:
        """A new workbook's one sheet, named `title`."""
        import openpyxl

        ws = openpyxl.Workbook().active
        ws.title = title
        return cls(ws, spec)

    def __init__(self, ws, spec: _FileSpec):
        from openpyxl.styles import Font

        self.ws = ws
        self.r = 0
        self.enc = spec.encode
        self.font = Font(name=spec.font) if spec.font else None
        self.bold = Font(name=spec.font or "Times New Roman", bold=True)

    def row(self, values, bold=False, date_cols=()):
        enc = self.enc
        if enc is not None:
            values = [enc(v) if isinstance(v, str) else v for v in values]
        self.ws.append(values)
        self.r += 1
        if self.font is not None or bold:
            font = self.bold if bold else self.font
            for c, v in enumerate(values, 1):
                if v is not None:
                    self.ws.cell(row=self.r, column=c).font = font
        for c in date_cols:
            if c < len(values) and isinstance(values[c], date):
                self.ws.cell(row=self.r, column=c + 1).number_format = "dd/mm/yyyy"
        return self.r

    def merge(self, r1, c1, r2, c2):
        self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _footer(sh: _Sheet, commune: dict, rng: random.Random, width: int):
    sh.row([])
    right = max(width - 4, 3)
    place = commune["wardShort"]
    r = sh.row([None] * right + [f"{place}, ngày {rng.randint(2, 9):02d} tháng 01 năm 2024"])
    sh.merge(r, right + 1, r, width)
    r = sh.row([None, "NGƯỜI LẬP BIỂU"] + [None] * (right - 2) + ["TM. ỦY BAN NHÂN DÂN"], bold=True)
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)
    r = sh.row([None, "(Ký, ghi rõ họ tên)"] + [None] * (right - 2) + ["CHỦ TỊCH"])
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)
    sh.row([])
    sh.row([])
    n1 = f"{_weighted(rng, SURNAMES)} {_weighted(rng, MIDDLE_F)} {rng.choice(GIVEN_F)}"
    n2 = f"{_weighted(rng, SURNAMES)} {_weighted(rng, MIDDLE_M)} {rng.choice(GIVEN_M)}"
    r = sh.row([None, n1] + [None] * (right - 2) + [n2], bold=True)
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)


def _write_merged(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random,
                  sections: bool) -> list[tuple[int, Entry]]:
    sh = _Sheet.new(spec, "Danh sach")
    c = spec.commune
    acct = spec.with_accounts
    width = 14 if acct else 12
    kind = _title_kind(c)
    r = sh.row(["UBND HUYỆN " + c["districtShort"].upper() if c["district"].startswith("Huyện")
                else "UBND " + c["district"].upper()] + [None] * 4 + ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
               bold=True)
    sh.merge(r, 1, r, 4)
    sh.merge(r, 6, r, width)
    r = sh.row([f"UBND {kind} {c['wardShort'].upper()}"] + [None] * 4 + ["Độc lập - Tự do - Hạnh phúc"],
               bold=True)
    sh.merge(r, 1, r, 4)
    sh.merge(r, 6, r, width)
    sh.row([])
    r = sh.row(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"], bold=True)
    sh.merge(r, 1, r, width)
    r = sh.row([rng.choice(["Tháng 01 năm 2024", "Kỳ chi trả: tháng 01/2024", "THÁNG 01 NĂM 2024"])])
    sh.merge(r, 1, r, width)
    if rng.random() < 0.5:
        r = sh.row([f"(Kèm theo Quyết định số {rng.randint(1, 30):02d}/QĐ-UBND ngày 02 tháng 01 năm 2024 "
                    f"của UBND {kind.lower()} {c['wardShort']})"])
        sh.merge(r, 1, r, width)
    r = sh.row([None] * (width - 2) + ["Đơn vị tính: đồng"])
    sh.merge(r, width - 1, r, width)
    id_label = ["Số định danh cá nhân", "Số CCCD", "Số định danh cá nhân/CCCD"][spec.header_variant % 3]
    top = ["STT", "Họ và tên", "Ngày tháng năm sinh", None, id_label, "Dân tộc", "Thôn, bản",
           "Diện đối tượng", "Hệ số", "Mức trợ cấp (đồng)"]
    bot = [None, None, "Nam", "Nữ", None, None, None, None, None, None]
    if acct:
        top += ["Tài khoản nhận trợ cấp", None]
        bot += ["Số tài khoản", "Ngân hàng"]
    top += ["Số điện thoại", "Ghi chú"]
    bot += [None, None]
    h1 = sh.row(top, bold=True)
    h2 = sh.row(bot, bold=True)
    for col in range(1, width + 1):
        if top[col - 1] is not None and bot[col - 1] is None:
            sh.merge(h1, col, h2, col)
    sh.merge(h1, 3, h1, 4)
    if acct:
        sh.merge(h1, 11, h1, 12)
    sh.row([f"({i})" for i in range(1, width + 1)])
    out = []
    total = 0
    groups: list[tuple[str | None, list[Entry]]]
    if sections:
        buckets: dict[int, list[Entry]] = {}
        for e in entries:
            buckets.setdefault(SECTION_OF.get(e.person.category, 3), []).append(e)
        groups = [(f"{'I II III IV'.split()[k]}. {SECTION_TITLES[k]}", buckets[k]) for k in sorted(buckets)]
    else:
        groups = [(None, entries)]
    for title, group in groups:
        if title:
            r = sh.row([title], bold=True)
            sh.merge(r, 1, r, width)
        for stt, e in enumerate(group, 1):
            p = e.person
            dobv = _dob_cell(spec, e, rng)
            male = p.gender == "M"
            row = [stt, _display_name(spec, e), dobv if male else None, None if male else dobv,
                   _id_cell(spec, e), p.ethnicity, p.village, e.category_label, float(p.coefficient), p.amount]
            if acct:
                row += [p.account, p.bank]
            row += [p.phone, None]
            r = sh.row(row, date_cols=(2, 3) if isinstance(dobv, date) else ())
            out.append((r, e))
            total += p.amount
            if rng.random() < 0.002:
                sh.row([])               # a stray blank row inside the table
    r = sh.row(["Tổng cộng", None] + [None] * 7 + [total])
    sh.merge(r, 1, r, 2)
    _footer(sh, c, rng, width)
    sh.ws.parent.save(path)
    return out


SIMPLE_HEADERS = {
    "stt": ["STT", "TT", "Số TT"],
    "name": ["Họ tên", "Họ và tên đối tượng", "Họ tên đối tượng", "HỌ VÀ TÊN"],
    "dob": ["Ngày sinh", "Ngày, tháng, năm sinh", "Ngày/tháng/năm sinh"],
    "year": ["Năm sinh", "Năm sinh", "NĂM SINH"],
    "gender": ["Giới tính", "Giới\ntính", "Giới tính"],
    "id": ["Số CMND/CCCD", "Số CCCD", "Số định danh", "CCCD"],
    "village": ["Thôn/bản", "Thôn", "Địa chỉ"],
    "category": ["Đối tượng", "Diện hưởng", "Nhóm đối tượng"],
    "amount": ["Mức hưởng", "Số tiền", "Mức trợ cấp"],
}


def _write_simple(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random) -> list:
    sh = _Sheet.new(spec, "DS T1-2024")
    c = spec.commune
    hv = spec.header_variant
    kind = _title_kind(c)
    if rng.random() < 0.5:
        sh.row([f"UBND {kind} {c['wardShort'].upper()}"], bold=True)
    sh.row([rng.choice(["DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI THÁNG 1/2024",
                        "DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI THÁNG 01 NĂM 2024"])], bold=True)
    sh.row([f"{c['wardType']} {c['wardShort']}, {c['district']}"])
    sh.row([])
    hdr = [SIMPLE_HEADERS["stt"][hv % 3], SIMPLE_HEADERS["name"][hv % 4],
           SIMPLE_HEADERS["year" if spec.dob_year_only else "dob"][hv % 3],
           SIMPLE_HEADERS["gender"][hv % 3], SIMPLE_HEADERS["id"][hv % 4],
           SIMPLE_HEADERS["village"][hv % 3], SIMPLE_HEADERS["category"][hv % 3], "Hệ số",
           SIMPLE_HEADERS["amount"][hv % 3]]
    if spec.with_accounts:
        hdr += ["Số tài khoản", "Ngân hàng"]
    if spec.with_decision:
        hdr += ["Số quyết định", "Ngày quyết định", "Hưởng từ tháng"]
    hdr += ["Số điện thoại", "Ghi chú"]
    sh.row(hdr, bold=True)
    out = []
    total = 0
    for stt, e in enumerate(entries, 1):
        p = e.person
        dobv = _dob_cell(spec, e, rng)
        row = [stt, _display_name(spec, e), dobv, "Nam" if p.gender == "M" else "Nữ", _id_cell(spec, e),
               p.village if hv % 3 != 2 else f"{p.village}, {c['wardType'].lower()} {c['wardShort']}",
               e.category_label, float(p.coefficient), p.amount]
        if spec.with_accounts:
            row += [p.account, p.bank]
        if spec.with_decision:
            row += [p.decision_number, p.decision_date.strftime("%d/%m/%Y"),
                    f"{p.decision_date.month:02d}/{p.decision_date.year}"]
        row += [p.phone, None]
        r = sh.row(row, date_cols=(2,) if isinstance(dobv, date) else ())
        out.append((r, e))
        total += p.amount
    if rng.random() < 0.5:
        sh.row([None, "Cộng"] + [None] * 6 + [total])
    sh.row([])
    sh.row([None, "Người lập biểu", None, None, None, None, f"Xác nhận của UBND {kind.lower()}"], bold=True)
    sh.row([])
    sh.row([None, f"{_weighted(rng, SURNAMES)} Thị {rng.choice(GIVEN_F)}"])
    sh.ws.parent.save(path)
    return out


def _write_csv(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random) -> list:
    out = []
    rows = []
    hv = spec.header_variant
    if rng.random() < 0.5:
        rows.append([f"DANH SÁCH ĐỐI TƯỢNG TRỢ CẤP XÃ HỘI THÁNG 01/2024 - {spec.commune['ward'].upper()}"])
    rows.append(["STT", SIMPLE_HEADERS["name"][hv % 4], "Ngày sinh", "Giới tính", "Số CCCD", "Thôn",
                 "Đối tượng", "Hệ số", "Số tiền", "Số điện thoại"])
    for stt, e in enumerate(entries, 1):
        p = e.person
        if e.dob_text is not None:
            dobv = e.dob_text
        elif e.dob_year_only:
            dobv = str(e.dob.year)
        else:
            dobv = e.dob.strftime("%d/%m/%Y")
        rows.append([str(stt), _display_name(spec, e), dobv, "Nam" if p.gender == "M" else "Nữ",
                     e.id_number or "", p.village, e.category_label,
                     str(p.coefficient).replace(".", ","), f"{p.amount:,}".replace(",", "."), p.phone or ""])
        out.append((len(rows), e))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=spec.delimiter).writerows(rows)
    return out


def _write_file(job) -> list[tuple[int, int]]:
    """Write one list; [(sheet row, index of the entry)]."""
    path, spec, entries, rng_seed = job
    rng = random.Random(rng_seed)
    path = Path(path)
    if spec.layout == "csv":
        written = _write_csv(path, spec, entries, rng)
    elif spec.base == "simple":
        written = _write_simple(path, spec, entries, rng)
    else:
        written = _write_merged(path, spec, entries, rng, sections=(spec.layout == "sections"))
    index = {id(e): k for k, e in enumerate(entries)}
    return [(row, index[id(e)]) for row, e in written]


