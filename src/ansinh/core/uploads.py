"""Uploaded files: where they are kept, what is accepted, how they are served back.

One home for every upload path of the site:
- names: `display_name` (what a message may show: the client's file name, without any
  folder, shortened) and `check_name` (an over-long name is refused as such);
- content: `verify_file` accepts only formats verified by their bytes. Images (JPEG, PNG,
  WebP) are decoded with Pillow and re-encoded (metadata dropped, pixel count bounded); PDF
  by its magic bytes; office documents by their zip (or OLE2) structure; audio and video by
  their container signature. SVG, HTML and anything else are refused with one line naming
  the file;
- serving: `stored_file_response` serves a stored upload as an attachment with
  `X-Content-Type-Options: nosniff`, a sandboxing Content-Security-Policy and a content
  type from a fixed list, so that nothing uploaded ever runs on the site's origin;
- storage of list files for background jobs: `store_upload` (encrypted at rest by
  ansinh.core.sealed: `seal`, `opened_upload`, `read_stored`), `uploader_scope`.
"""
from __future__ import annotations

import io
import re
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from ansinh.core.jobs import BadInput
from ansinh.core.sealed import SEALED_MAGIC, opened_upload, read_stored, seal, unseal  # noqa: F401 - the upload API

MAX_NAME_CHARS = 200        # every model field that keeps a file name holds 200
SHOWN_NAME_CHARS = 60       # what a message shows of a name
STORED_NAME_BYTES = 120     # a stored name's UTF-8 length (file systems allow 255)
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels (a phone photo is 12-50)
MAX_ZIP_ENTRIES = 10_000

# The headers every served upload carries.
SANDBOX_CSP = "sandbox; default-src 'none'"


# --------------------------------------------------------------------------- names

def client_name(name: str | None) -> str:
    """The file name a person chose, without any folder (Windows or POSIX) or control and
    direction-override characters."""
    raw = str(name or "")
    base = PureWindowsPath(PurePosixPath(raw).name).name if raw else ""
    return "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()


def display_name(name: str | None, limit: int = SHOWN_NAME_CHARS) -> str:
    """The client's file name as a message may show it: `client_name`, at most `limit`
    characters (the extension kept). Never a server path or a temporary name."""
    base = client_name(name)
    if not base:
        return _("(không tên)")
    if len(base) <= limit:
        return base
    suffix = Path(base).suffix
    if len(suffix) > 10:
        suffix = ""
    return base[: max(1, limit - len(suffix) - 1)] + "…" + suffix


def check_name(name: str | None, extensions: tuple[str, ...] | None = None) -> str:
    """`client_name(name)`, or BadInput: an over-long name says so (not "unsupported type");
    an extension outside `extensions` names the accepted ones."""
    base = client_name(name)
    shown = display_name(base)
    if len(base) > MAX_NAME_CHARS:
        raise BadInput(_("%(name)s: tên tệp quá dài (%(n)s ký tự, tối đa %(max)s); đổi tên ngắn hơn rồi tải lên lại.")
                       % {"name": shown, "n": len(base), "max": MAX_NAME_CHARS})
    if extensions is not None and Path(base).suffix.lower() not in extensions:
        raise BadInput(_("%(name)s: chỉ nhận tệp %(accepted)s") % {"name": shown, "accepted": ", ".join(extensions)})
    return base


def _ascii(name: str) -> str:
    s = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._-")


def safe_stored_name(name: str, default: str = "tep") -> str:
    """A name to store a file under: word characters, dots and dashes only, the extension kept,
    at most STORED_NAME_BYTES bytes of UTF-8."""
    base = client_name(name)
    safe = re.sub(r"[^\w.\-]+", "_", base).strip("._") or default
    p = Path(safe)
    suffix = p.suffix if len(p.suffix) <= 10 else ""
    stem = safe[: len(safe) - len(suffix)] if suffix else safe
    while len((stem + suffix).encode("utf-8")) > STORED_NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip("._") or default) + suffix


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` fallback and the exact name as RFC 6266 /
    RFC 5987 `filename*` (UTF-8, percent-encoded)."""
    name = display_name(filename, limit=MAX_NAME_CHARS)
    p = Path(name)
    stem, ext = _ascii(p.stem) or "tep", _ascii(p.suffix)
    fallback = f"{stem}.{ext}" if ext else stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --------------------------------------------------------------------------- content

@dataclass
class VerifiedFile:
    """An upload whose bytes were checked: the name to show and store (extension matching the
    content), the content type to serve it with, and the bytes to store (re-encoded images)."""

    name: str
    content_type: str
    content: bytes
    kind: str


IMAGE_FORMATS = {"JPEG": ("image/jpeg", (".jpg", ".jpeg")), "PNG": ("image/png", (".png",)),
                 "WEBP": ("image/webp", (".webp",))}
PDF = ("application/pdf", (".pdf",))
OOXML = {  # main part → (content type, extensions)
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "ppt/presentation.xml": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                             (".pptx",)),
}
ODF = {mt: (mt, exts) for mt, exts in (
    ("application/vnd.oasis.opendocument.text", (".odt",)),
    ("application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    ("application/vnd.oasis.opendocument.presentation", (".odp",)))}
OLE2 = {".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}
MEDIA = {  # extension → content type; the bytes must carry the container's signature (_media_ok)
    ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".m4a": "audio/mp4", ".aac": "audio/aac", ".amr": "audio/amr",
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".3gp": "video/3gpp",
    ".webm": "video/webm", ".mkv": "video/x-matroska", ".ogv": "video/ogg",
}

# What may be served with its own content type; anything else goes out as octet-stream.
SAFE_CONTENT_TYPES = ({ct for ct, _e in IMAGE_FORMATS.values()} | {PDF[0]}
                      | {ct for ct, _e in OOXML.values()} | set(ODF) | set(OLE2.values()) | set(MEDIA.values()))

EVIDENCE_KINDS = ("image", "pdf", "media")
ATTACHMENT_KINDS = ("image", "pdf", "office")


def accepted_text(kinds: tuple[str, ...]) -> str:
    parts = {"image": _("ảnh JPEG, PNG, WebP"), "pdf": _("tệp PDF"),
             "office": _("văn bản Word, Excel, PowerPoint, OpenDocument"),
             "media": _("âm thanh, video (MP3, M4A, WAV, OGG, AAC, AMR, MP4, MOV, 3GP, WebM)")}
    return "; ".join(str(parts[k]) for k in kinds)


def _refuse(name: str, kinds: tuple[str, ...]) -> BadInput:
    return BadInput(_("%(name)s: không nhận loại tệp này. Chỉ nhận %(accepted)s.")
                    % {"name": display_name(name), "accepted": accepted_text(kinds)})


def _rename(name: str, ext: str) -> str:
    p = Path(name)
    return name if p.suffix.lower() == ext else (p.stem or "tep") + ext


def _image(name: str, content: bytes) -> VerifiedFile | None:
    """Decode, bound, re-encode. None if the bytes are not a JPEG, PNG or WebP image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    ext = Path(name).suffix.lower()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(content), formats=list(IMAGE_FORMATS))
            fmt = img.format
            w, h = img.size
            if w * h > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{w}x{h}")
            img.load()
            if fmt == "JPEG":
                img = ImageOps.exif_transpose(img)  # keep the photo upright once EXIF is gone
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadInput(_("%(name)s: ảnh quá lớn (tối đa %(mp)s triệu điểm ảnh)")
                       % {"name": display_name(name), "mp": MAX_IMAGE_PIXELS // 1_000_000}) from None
    except UnidentifiedImageError:
        return None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError):
        if ext in (".jpg", ".jpeg", ".png", ".webp"):
            raise BadInput(_("%(name)s: ảnh bị hỏng, không đọc được") % {"name": display_name(name)}) from None
        return None
    content_type, exts = IMAGE_FORMATS[fmt]
    keep = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
    img.info = keep  # no EXIF, XMP, ICC, text chunks or comments in what is stored
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            img = img.convert("RGBA")
        img.save(out, "PNG")
    else:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in keep else "RGB")
        img.save(out, "WEBP", quality=90)
    final = name if ext in exts else _rename(name, exts[0])
    return VerifiedFile(final, content_type, out.getvalue(), "image")


def _zip_office(name: str, content: bytes) -> VerifiedFile | None:
    """An OOXML or ODF document, recognised by its zip directory (nothing is decompressed
    except ODF's 'mimetype' entry, a few bytes)."""
    ext = Path(name).suffix.lower()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            names = {i.filename for i in infos}
            if "[Content_Types].xml" in names:
                for part, (ct, exts) in OOXML.items():
                    if part in names and ext in exts:
                        return VerifiedFile(name, ct, content, "office")
                return None
            first = infos[0] if infos else None
            if first is not None and first.filename == "mimetype" and first.file_size < 100:
                mt = z.read(first).decode("ascii", "replace").strip()
                if mt in ODF and ext in ODF[mt][1]:
                    return VerifiedFile(name, mt, content, "office")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def _media_ok(ext: str, head: bytes) -> bool:
    if ext == ".mp3":
        return head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if ext == ".wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if ext in (".ogg", ".oga", ".opus", ".ogv"):
        return head[:4] == b"OggS"
    if ext in (".m4a", ".mp4", ".m4v", ".mov", ".3gp"):
        return head[4:8] == b"ftyp" or (ext == ".mov" and head[4:8] in (b"moov", b"mdat", b"wide", b"free"))
    if ext == ".aac":
        return head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0)
    if ext == ".amr":
        return head[:6] == b"#!AMR\n" or head[:9] == b"#!AMR-WB\n"
    if ext in (".webm", ".mkv"):
        return head[:4] == b"\x1a\x45\xdf\xa3"
    return False


def verify_file(name: str, content: bytes, kinds: tuple[str, ...], max_bytes: int | None = None) -> VerifiedFile:
    """Accept `content` only as one of `kinds` ("image", "pdf", "office", "media"), verified by
    its bytes; BadInput (one line naming the file) otherwise."""
    base = check_name(name)
    if max_bytes is not None and len(content) > max_bytes:
        raise BadInput(_("%(name)s: tệp quá %(mb)s MB") % {"name": display_name(base), "mb": max_bytes // 2**20})
    if not content:
        raise BadInput(_("%(name)s: tệp rỗng") % {"name": display_name(base)})
    ext = Path(base).suffix.lower()
    head = content[:64]
    if "image" in kinds and ext in (".jpg", ".jpeg", ".png", ".webp"):
        v = _image(base, content)
        if v is not None:
            return v
    elif "pdf" in kinds and ext == ".pdf":
        if content.startswith(b"%PDF-"):
            return VerifiedFile(base, PDF[0], content, "pdf")
    elif "office" in kinds and ext in (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"):
        v = _zip_office(base, content)
        if v is not None:
            return v
    elif "office" in kinds and ext in OLE2:
        if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            return VerifiedFile(base, OLE2[ext], content, "office")
    elif "media" in kinds and ext in MEDIA:
        if _media_ok(ext, head):
            return VerifiedFile(base, MEDIA[ext], content, "media")
    raise _refuse(base, kinds)


def read_uploaded(uploaded, max_bytes: int) -> tuple[str, bytes]:
    """(name, bytes) of a Django UploadedFile, refusing an over-long name or an oversize file
    before reading it into memory."""
    base = check_name(uploaded.name)
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_bytes:
        raise BadInput(_("%(name)s: tệp quá %(mb)s MB") % {"name": display_name(base), "mb": max_bytes // 2**20})
    return base, uploaded.read(max_bytes + 1)


# --------------------------------------------------------------------------- serving

def safe_content_type(content_type: str | None) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    return ct if ct in SAFE_CONTENT_TYPES else "application/octet-stream"


def content_type_for_name(name: str) -> str:
    """The content type of a stored file by its extension, from the accepted formats only."""
    ext = Path(str(name or "")).suffix.lower()
    for ct, exts in [*IMAGE_FORMATS.values(), PDF, *OOXML.values(), *ODF.values()]:
        if ext in exts:
            return ct
    return OLE2.get(ext) or MEDIA.get(ext) or "application/octet-stream"


def protect(response, filename: str):
    """Make `response` (a download) an attachment that the browser neither sniffs nor runs."""
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def stored_file_response(fieldfile, filename: str, content_type: str | None = None):
    """Serve a stored upload (a FieldFile) for download: attachment, RFC 6266 file name with an
    ASCII fallback, nosniff, sandboxing CSP, a content type from SAFE_CONTENT_TYPES only."""
    from django.http import FileResponse

    ct = safe_content_type(content_type or content_type_for_name(filename))
    resp = FileResponse(fieldfile.open("rb"), content_type=ct)
    return protect(resp, filename)


# --------------------------------------------------------------------------- list files for jobs

def store_upload(uploaded, area: str, default_name: str = "danh-sach") -> Path:
    """Store an uploaded file under VAR_DIR/uploads/<area>/<random>/<safe name> (the extension
    kept, the name bounded), encrypted (`seal`); an over-long client name is refused as such.
    Read it back with `opened_upload` (a path, for the readers of tables) or `read_stored` (bytes)."""
    check_name(uploaded.name)
    safe = safe_stored_name(uploaded.name, default_name)
    folder = Path(settings.VAR_DIR) / "uploads" / area / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / safe
    data = b"".join(uploaded.chunks())  # every upload is bounded (100 MB lists, 10 MB evidence)
    with open(dest, "wb") as fh:
        fh.write(seal(data))
    return dest




def uploader_scope(user):
    """(commune or None, province code) of the user's first scope unit: the scope keys of the
    records and jobs an upload creates, so that the uploader and their province see them."""
    from ansinh.units.models import Level

    units = list(user.profile.scope_units.all()) if hasattr(user, "profile") else []
    if not units:
        return None, ""
    u = units[0]
    if u.level == Level.PROVINCE:
        return None, u.province_code
    return u, u.province_code


# Uploaded lists (commune lists, bank lists, population extracts) hold ID and account numbers: once
# imported they are kept ANSINH_UPLOAD_RETENTION_DAYS (default 90), then deleted by `ansinh uploads
# purge`, which the worker runs daily. Evidence of an account approval is a record and is kept.
PURGED_AREAS = ("registry", "accounts", "population")


def purge_uploads(days: int | None = None, now: float | None = None) -> dict:
    """Delete uploaded files older than `days` (their random folder too), except those a queued or
    running job still reads. Returns {"days", "deleted", "kept_for_jobs"}."""
    import time

    from ansinh.core.models import Job, JobStatus

    days = settings.ANSINH_UPLOAD_RETENTION_DAYS if days is None else days
    if days < 0:
        raise ValueError("days: 0 or more")
    cutoff = (time.time() if now is None else now) - days * 86400
    busy = {str(Path(p).resolve()) for p in Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .values_list("params__path", flat=True) if p}
    root = Path(settings.VAR_DIR) / "uploads"
    deleted = kept = 0
    for area in PURGED_AREAS:
        for f in sorted((root / area).glob("*/*")):
            if not f.is_file() or f.stat().st_mtime >= cutoff:
                continue
            if str(f.resolve()) in busy:
                kept += 1
                continue
            f.unlink()
            deleted += 1
            if not any(f.parent.iterdir()):
                f.parent.rmdir()
    return {"days": days, "deleted": deleted, "kept_for_jobs": kept}


def stored_download(request, relative: str, name: str, persons=None):
    """A stored (sealed) file under VAR_DIR as a download, never rendered on our origin: decrypted,
    recorded in the audit log with the people it is about, sandboxed and not cached. 404 when the
    path leaves VAR_DIR or the file is gone. (Approval evidence, signed authorisations.)"""
    from django.http import FileResponse, Http404

    from ansinh.audit import reads as audit_reads

    root = Path(settings.VAR_DIR).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    data = read_stored(path)
    filename = f"{name}{path.suffix}"
    audit_reads.file_downloaded(request, filename, data, persons=persons)
    resp = FileResponse(io.BytesIO(data), as_attachment=True, filename=filename,
                        content_type="application/octet-stream")
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "sandbox; default-src 'none'"
    resp["Cache-Control"] = "no-store"
    return resp
