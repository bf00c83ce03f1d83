"""Uploaded files: where they are kept, and the scope keys of the job that reads them."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings


def store_upload(uploaded, area: str, default_name: str = "danh-sach") -> Path:
    """Store an uploaded file under VAR_DIR/uploads/<area>/<random>/<safe name>."""
    safe = re.sub(r"[^\w.\-]+", "_", Path(uploaded.name).name)[:120] or default_name
    folder = Path(settings.VAR_DIR) / "uploads" / area / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / safe
    with open(dest, "wb") as fh:
        for chunk in uploaded.chunks():
            fh.write(chunk)
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
