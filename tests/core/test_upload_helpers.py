"""The one home of upload and export safety (issue 11, items 1, 8, 14): ansinh.core.uploads and
ansinh.core.exports, tried on real bytes."""
from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from ansinh.core.exports import safe_cell, safe_row
from ansinh.core.jobs import BadInput
from ansinh.core.pdf import para_text
from ansinh.core.uploads import (
    ATTACHMENT_KINDS,
    EVIDENCE_KINDS,
    check_name,
    content_disposition,
    display_name,
    safe_content_type,
    safe_stored_name,
    verify_file,
)


def test_safe_cell_neutralises_formula_text_and_keeps_numbers():
    for bad in ('=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                "=", "+A1"):
        assert safe_cell(bad) == "'" + bad
    for good in ("Nguyễn Văn An", "", " =not at start", "a=b", "0912345678", "-5", "+84912345678", "1.234,5",
                 "-", "--"):
        assert safe_cell(good) == good
    for number in (750_000, -3, 1.5, None, True):
        assert safe_cell(number) is number
    assert safe_row(["=1", 2, "x"]) == ["'=1", 2, "x"]


def test_para_text_escapes_markup():
    assert para_text('<b>Lò & "Hoa"</font>\x00\x07') == '&lt;b&gt;Lò &amp; "Hoa"&lt;/font&gt; '
    assert para_text("a\nb") == "a<br/>b" and para_text(None) == ""


def test_names_shown_and_stored():
    assert display_name("C:\\Users\\x\\Desktop\\ảnh.png") == "ảnh.png"
    assert display_name("/etc/passwd") == "passwd"
    assert display_name("a\x00b\u202e.png") == "ab.png"
    long = display_name("x" * 400 + ".xlsx")
    assert len(long) <= 60 and long.endswith("….xlsx")
    with pytest.raises(BadInput, match="tên tệp quá dài"):
        check_name("x" * 201 + ".xlsx", (".xlsx",))
    with pytest.raises(BadInput, match=r"^ds\.pdf: chỉ nhận tệp \.xlsx$"):
        check_name("C:\\fakepath\\ds.pdf", (".xlsx",))
    assert check_name("C:\\fakepath\\ds.xlsx", (".xlsx",)) == "ds.xlsx"
    stored = safe_stored_name("Danh sách đối tượng " * 20 + ".xlsx")
    assert stored.endswith(".xlsx") and len(stored.encode()) <= 120 and "/" not in stored
    assert safe_stored_name("../../etc/passwd") == "passwd"
    assert safe_stored_name("...") == "tep"


def test_content_disposition_rfc6266_with_ascii_fallback():
    cd = content_disposition('Báo cáo "quý" 1.pdf')
    assert cd.startswith('attachment; filename="Bao_cao_quy_1.pdf"; ')
    assert cd.endswith("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22qu%C3%BD%22%201.pdf")
    assert content_disposition("đ.svg").startswith('attachment; filename="d.svg"')
    assert content_disposition("\r\nSet-Cookie: x").count("\r") == 0


def test_safe_content_type():
    assert safe_content_type("image/png") == "image/png"
    for bad in ("image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "", None, "image/png; x=<"):
        assert safe_content_type(bad) in ("application/octet-stream", "image/png")
    assert safe_content_type("image/svg+xml") == "application/octet-stream"


def _zip(entries: dict[str, bytes], first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if first:
            z.writestr(zipfile.ZipInfo(first), entries.pop(first))
        for k, v in entries.items():
            z.writestr(k, v)
    return buf.getvalue()


def test_office_documents_by_zip_structure():
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert verify_file("ke-hoach.docx", docx, ATTACHMENT_KINDS).content_type.endswith("wordprocessingml.document")
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
               first="mimetype")
    assert verify_file("bang.ods", ods, ATTACHMENT_KINDS).content_type == "application/vnd.oasis.opendocument.spreadsheet"
    for name, content in (("a.docx", _zip({"index.html": b"<script>"})),             # a zip, not OOXML
                          ("a.xlsx", docx),                                         # a .docx renamed .xlsx
                          ("a.docx", b"PK\x03\x04garbage"),                         # not a zip
                          ("a.doc", b"<html>"),                                     # not OLE2
                          ("a.html", b"<html>"), ("a.svg", b"<svg/>"), ("a.exe", b"MZ")):
        with pytest.raises(BadInput, match="không nhận loại tệp này"):
            verify_file(name, content, ATTACHMENT_KINDS)
    # office files are attachments of directives, not report evidence
    with pytest.raises(BadInput, match="không nhận loại tệp này"):
        verify_file("ke-hoach.docx", docx, EVIDENCE_KINDS)


def test_images_reencoded_bounded_and_renamed_to_their_real_format():
    buf = io.BytesIO()
    Image.new("RGBA", (3, 3), (1, 2, 3, 128)).save(buf, "WEBP")
    v = verify_file("anh.webp", buf.getvalue(), EVIDENCE_KINDS)
    assert v.content_type == "image/webp" and Image.open(io.BytesIO(v.content)).size == (3, 3)
    buf = io.BytesIO()
    Image.new("RGB", (3, 3)).save(buf, "JPEG")
    v = verify_file("anh.png", buf.getvalue(), EVIDENCE_KINDS)  # a JPEG named .png: stored as what it is
    assert (v.name, v.content_type) == ("anh.jpg", "image/jpeg")
    with pytest.raises(BadInput, match="ảnh bị hỏng"):
        verify_file("anh.png", buf.getvalue()[:200], EVIDENCE_KINDS)
    with pytest.raises(BadInput, match="tệp rỗng"):
        verify_file("anh.png", b"", EVIDENCE_KINDS)
    with pytest.raises(BadInput, match="tệp quá 1 MB"):
        verify_file("anh.png", b"\0" * (2**20 + 1), EVIDENCE_KINDS, max_bytes=2**20)
