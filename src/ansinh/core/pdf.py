"""PDF helpers shared by the printable lists (outreach lists, payroll cash lists)."""
from __future__ import annotations

from pathlib import Path

# Unicode TrueType fonts that print Vietnamese, in order of preference (Debian paths).
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
]
REGULAR, BOLD = "AnSinh", "AnSinh-Bold"


def unicode_fonts() -> tuple[str, str] | None:
    """Register (once) and name a regular and a bold font that print Vietnamese; None if the
    machine has none of FONT_CANDIDATES."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return REGULAR, BOLD
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).exists():
            pdfmetrics.registerFont(TTFont(REGULAR, regular))
            pdfmetrics.registerFont(TTFont(BOLD, bold if Path(bold).exists() else regular))
            return REGULAR, BOLD
    return None


def para_text(value) -> str:
    """`value` as the text of a reportlab Paragraph: Paragraph parses its text as markup
    (<b>, <font>, <para>, &amp;…), so user data is escaped and shown literally; characters
    a PDF cannot carry (control characters) are dropped, newlines become line breaks."""
    from xml.sax.saxutils import escape

    text = "" if value is None else str(value)
    text = "".join(c if c >= " " or c == "\n" else " " for c in text if c not in "\x00")
    return escape(text).replace("\n", "<br/>")
