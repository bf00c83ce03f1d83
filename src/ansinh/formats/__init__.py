"""Number formats. Pages format through Django (`intcomma`, `floatformat`) with the format
module `vi/formats.py`; files a person reads (PDF, .docx, spoken bulletins, messages) call
`vn_number` here, which writes the same grouping whatever language is active: the files are
Vietnamese documents. Spreadsheets carry numbers with the format `#,##0` instead, which
Excel shows with the reader's own grouping (payroll/xlsx.py)."""
from __future__ import annotations


def vn_number(n: int) -> str:
    """1000000 -> "1.000.000", 60723 -> "60.723", -5000 -> "-5.000"."""
    from ansinh.formats.vi.formats import THOUSAND_SEPARATOR

    return f"{int(n):,}".replace(",", THOUSAND_SEPARATOR)
