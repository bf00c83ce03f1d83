"""A streaming .xlsx writer for the large payroll files: one sheet, rows written as XML
straight into the zip entry, inline strings, four cell styles. openpyxl (even write-only)
spends ~100 µs per row building cell objects; this writes 60,000 rows in about a second.

Styles: 0 plain, 1 header (bold, thin border, wrapped, centred), 2 thin border, 3 bold.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

PLAIN, HEADER, BORDER, BOLD = 0, 1, 2, 3
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_COLS = [col_letter(i) for i in range(64)]

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


class XlsxStream:
    def __init__(self, path: Path, title: str, widths: tuple = (), *, landscape: bool = False,
                 row_height: float | None = None, print_title_row: int | None = None):
        self.path, self.title = Path(path), escape(title[:31])
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

    def row(self, values, style: int = PLAIN) -> None:
        self.n += 1
        n = self.n
        s = f' s="{style}"' if style else ""
        cells = []
        for i, v in enumerate(values):
            ref = f"{_COLS[i]}{n}"
            if v is None or v == "":
                if style:
                    cells.append(f'<c r="{ref}"{s}/>')
            elif isinstance(v, int) and not isinstance(v, bool):
                cells.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            else:
                t = escape(_BAD_XML.sub("", str(v)))
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{t}</t></is></c>')
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
