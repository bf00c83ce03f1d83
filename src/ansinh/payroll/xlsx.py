"""The .xlsx sheets of the payroll files, written top to bottom, with typed cells so Excel
computes with them (decision 0014):

- AMOUNT: a number with the format `#,##0` (a Vietnamese Excel shows 1.000.000);
- INT: a number without grouping (row numbers, line ids, years);
- DATE: a real date shown dd/mm/yyyy; MONTH: the first day of the month shown mm/yyyy;
- TEXT: text with the text format `@`, so an ID or account number keeps its leading zeros
  even when someone edits the cell; text a spreadsheet would read as a formula gets a leading
  quote (`ansinh.core.exports.safe_cell`); no text ever becomes a formula or a link.

Two writers with one interface (`row(values, style, kinds)`, `close()`):

- `StreamSheet`, by hand: rows as XML straight into the zip entry. The province's sheets
  (up to 60,000 lines) use it: XlsxWriter, even in `constant_memory` mode, writes them 8-9×
  slower (bench/xlsx_writer.py, bench/RESULTS.md), more than the 2× decision 0014 allows.
- `Sheet`, by XlsxWriter (`constant_memory`): the small sheets with QR images (a commune's
  bank sheet), which the hand-written writer cannot draw; and the reference the hand-written
  one is tested against (tests/payroll/test_xlsx.py writes the same rows through both and
  reads them back with openpyxl).

Styles of a row: PLAIN, HEADER (bold, thin border, wrapped, centred), BORDER (thin border),
BOLD.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name

from ansinh.core.exports import FORMULA_START, safe_cell

PLAIN, HEADER, BORDER, BOLD = 0, 1, 2, 3
TEXT, INT, AMOUNT, DATE, MONTH = "text", "int", "amount", "date", "month"
NUMBER_FORMATS = {TEXT: "@", INT: "0", AMOUNT: "#,##0", DATE: "dd/mm/yyyy", MONTH: "mm/yyyy"}
_STYLE_PROPS = {PLAIN: {}, HEADER: {"bold": True, "border": 1, "text_wrap": True, "align": "center"},
                BORDER: {"border": 1}, BOLD: {"bold": True}}
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def kind_of(value) -> str:
    """The kind of a cell whose column names none: numbers are INT, dates DATE, the rest TEXT."""
    if isinstance(value, bool):
        return TEXT
    if isinstance(value, int | float):
        return INT
    if isinstance(value, dt.date):
        return DATE
    return TEXT


class Sheet:
    """One worksheet in its own .xlsx file, written top to bottom by XlsxWriter.

    `row(values, style, kinds)`: `kinds` names the kind of each column (TEXT, INT, AMOUNT, DATE,
    MONTH); without it each cell's kind follows its Python type (`kind_of`). An empty cell
    ("" or None) stays empty (with the row's border, if it has one)."""

    def __init__(self, path: Path, title: str, widths: tuple = (), *, landscape: bool = False,
                 row_height: float | None = None, print_title_row: int | None = None):
        import xlsxwriter

        self.path = Path(path)
        self.wb = xlsxwriter.Workbook(str(self.path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "use_zip64": True})
        self.ws = self.wb.add_worksheet(_BAD_XML.sub("", title)[:31])
        self.n = 0  # rows written
        self._formats: dict[tuple[int, str | None], object] = {}
        for i, w in enumerate(widths):
            self.ws.set_column(i, i, w)
        if row_height:
            self.ws.set_default_row(row_height)
        if landscape:
            self.ws.set_landscape()
            self.ws.set_paper(9)  # A4
            self.ws.fit_to_pages(1, 0)
        self.ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        if print_title_row:
            self.ws.repeat_rows(print_title_row - 1)

    def _format(self, style: int, kind: str | None):
        key = (style, kind)
        f = self._formats.get(key)
        if f is None:
            props = dict(_STYLE_PROPS[style])
            if kind is not None:
                props["num_format"] = NUMBER_FORMATS[kind]
            f = self._formats[key] = self.wb.add_format(props) if props else None
        return f

    def row(self, values, style: int = PLAIN, kinds: tuple | None = None) -> None:
        r, ws = self.n, self.ws
        self.n += 1
        for c, v in enumerate(values):
            if v is None or v == "":
                if style:
                    ws.write_blank(r, c, None, self._format(style, None))
                continue
            kind = kind_of(v)
            if kinds is not None and c < len(kinds):
                kind = _declared(kinds[c], kind, v)
            if kind == TEXT:
                ws.write_string(r, c, _BAD_XML.sub("", str(safe_cell(v))), self._format(style, TEXT))
            elif kind in (INT, AMOUNT):
                ws.write_number(r, c, v, self._format(style, kind))
            else:
                ws.write_datetime(r, c, _as_datetime(v), self._format(style, kind))

    def image(self, png: bytes, col: int, height: float | None = None) -> None:
        """A PNG in column `col` of the last row written (that row `height` points high)."""
        if height:
            self.ws.set_row(self.n - 1, height)
        self.ws.insert_image(self.n - 1, col, "qr.png", {"image_data": io.BytesIO(png), "object_position": 1})

    def close(self) -> Path:
        self.wb.close()
        return self.path


def _declared(declared: str, natural: str, value) -> str:
    """The column's kind where the value fits it (a total row's label in an amount column stays
    text; a "YYYY-MM" month in a MONTH column becomes a date), else the value's own kind."""
    if declared == TEXT:
        return TEXT if natural != INT else INT
    if declared in (INT, AMOUNT):
        return declared if natural == INT else natural
    if declared == MONTH and isinstance(value, str):
        return MONTH if _MONTH.fullmatch(value) else TEXT
    return declared if natural == DATE else natural


def _as_datetime(v) -> dt.datetime:
    if isinstance(v, str):  # "YYYY-MM": the first of the month
        v = dt.date(int(v[:4]), int(v[5:7]), 1)
    if not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    return v


# --------------------------------------------------------------------------- by hand

_KINDS = (None, TEXT, INT, AMOUNT, DATE, MONTH)
_NUMFMT_ID = {None: 0, TEXT: 49, INT: 1, AMOUNT: 164, DATE: 165, MONTH: 166}  # 0, 1, 49 are built in
_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (1900 date system, after its 1900-02-29)
_COLS = [xl_col_to_name(i) for i in range(64)]  # "A", "B", …, "BL"


# The cell format index (in _STYLES' cellXfs) of a style and a kind.
_XF = {(style, kind): style * len(_KINDS) + k for style in (PLAIN, HEADER, BORDER, BOLD)
       for k, kind in enumerate(_KINDS)}
_XF_ATTR = {style: {kind: f' s="{_XF[style, kind]}"' for kind in _KINDS} for style in (PLAIN, HEADER, BORDER, BOLD)}
_FORMULA_FIRST = frozenset(c[0] for c in FORMULA_START)


def _styles_xml() -> str:
    fonts = {PLAIN: 0, HEADER: 1, BORDER: 0, BOLD: 1}
    borders = {PLAIN: 0, HEADER: 1, BORDER: 1, BOLD: 0}
    xfs = []
    for style in (PLAIN, HEADER, BORDER, BOLD):
        for kind in _KINDS:
            attrs = (f'numFmtId="{_NUMFMT_ID[kind]}" fontId="{fonts[style]}" fillId="0" '
                     f'borderId="{borders[style]}" xfId="0"')
            attrs += ' applyNumberFormat="1"' if kind else ""
            attrs += ' applyFont="1"' if fonts[style] else ""
            attrs += ' applyBorder="1"' if borders[style] else ""
            if style == HEADER:
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
    num_fmts = "".join(f'<numFmt numFmtId="{_NUMFMT_ID[k]}" formatCode="{escape(NUMBER_FORMATS[k])}"/>'
                       for k in (AMOUNT, DATE, MONTH))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<numFmts count="3">{num_fmts}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/>'
            '<diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


_STYLES = _styles_xml()


class StreamSheet:
    """One worksheet in its own .xlsx file, written top to bottom by hand: each row as XML
    straight into the (deflated) zip entry. Same interface and cells as `Sheet`, no images."""

    def __init__(self, path: Path, title: str, widths: tuple = (), *, landscape: bool = False,
                 row_height: float | None = None, print_title_row: int | None = None):
        self.path, self.title = Path(path), escape(_BAD_XML.sub("", title)[:31])
        self.print_title_row = print_title_row
        self.zf = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.fh = self.zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.n = 0
        self.buf: list[str] = []
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">']
        if landscape:
            head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        custom = ' customHeight="1"' if row_height else ""
        head.append(f'<sheetFormatPr defaultRowHeight="{row_height or 15}"{custom}/>')
        if widths:
            head.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                           for i, w in enumerate(widths, 1)) + "</cols>")
        head.append("<sheetData>")
        self.landscape = landscape
        self._write("".join(head))

    def _write(self, text: str) -> None:
        self.fh.write(text.encode("utf-8"))

    def row(self, values, style: int = PLAIN, kinds: tuple | None = None) -> None:
        # The same kinds as `Sheet` (kind_of, _declared), inlined: this loop runs for every cell
        # of a province's files.
        self.n += 1
        n = self.n
        xf = _XF_ATTR[style]
        cells = []
        nk = len(kinds) if kinds is not None else 0
        for i, v in enumerate(values):
            ref = f"{_COLS[i]}{n}"
            if v is None or v == "":
                if style:
                    cells.append(f'<c r="{ref}"{xf[None]}/>')
                continue
            declared = kinds[i] if i < nk else None
            t = type(v)
            if t is str:
                if declared == MONTH and _MONTH.fullmatch(v):
                    days = (dt.date(int(v[:4]), int(v[5:7]), 1) - _EPOCH).days
                    cells.append(f'<c r="{ref}"{xf[MONTH]}><v>{days}</v></c>')
                    continue
                if v[0] in _FORMULA_FIRST:
                    v = safe_cell(v)
                text = escape(_BAD_XML.sub("", v))
                cells.append(f'<c r="{ref}"{xf[TEXT]} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            elif t is int or t is float:
                cells.append(f'<c r="{ref}"{xf[AMOUNT if declared == AMOUNT else INT]}><v>{v}</v></c>')
            else:
                kind = kind_of(v) if declared is None else _declared(declared, kind_of(v), v)
                if kind == TEXT:
                    text = escape(_BAD_XML.sub("", str(safe_cell(v))))
                    cells.append(f'<c r="{ref}"{xf[TEXT]} t="inlineStr"><is><t xml:space="preserve">{text}</t>'
                                 "</is></c>")
                elif kind in (INT, AMOUNT):
                    cells.append(f'<c r="{ref}"{xf[kind]}><v>{v}</v></c>')
                else:
                    cells.append(f'<c r="{ref}"{xf[kind]}><v>{(_as_datetime(v).date() - _EPOCH).days}</v></c>')
        self.buf.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(self.buf) >= 2000:
            self._flush()

    def _flush(self) -> None:
        if self.buf:
            self._write("".join(self.buf))
            self.buf = []

    def close(self) -> Path:
        self._flush()
        tail = "</sheetData>"
        tail += '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
        if self.landscape:
            tail += '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        self._write(tail + "</worksheet>")
        self.fh.close()
        z = self.zf
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.styles+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        defined = ""
        if self.print_title_row:
            r = self.print_title_row
            defined = (f'<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
                       f"'{self.title}'!${r}:${r}</definedName></definedNames>")
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   f'<sheets><sheet name="{self.title}" sheetId="1" r:id="rId1"/></sheets>{defined}</workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/styles.xml", _STYLES)
        z.close()
        return self.path
