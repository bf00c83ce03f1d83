"""Outreach test fixtures: media files in a temporary folder, the public pages mounted,
demo organisations and users."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ROOT_URLCONF = "tests.outreach.urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
    from ansinh.accounts.kpi import clear_caches

    clear_caches()  # the accounts KPI caches targets and units between calls: start each test clean


@pytest.fixture
def demo(db):
    """The demo organisations and users (core) plus the outreach demo (the seed letter)."""
    from ansinh.core.demo import create_demo_users
    from ansinh.outreach.demo import demo_setup

    create_demo_users()
    return demo_setup()


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (2, 2), (200, 30, 30, 255)).save(buf, "PNG")
    return buf.getvalue()


# A real (tiny) PNG photo: 2x2 pixels. (The hand-written 1x1 PNG this file used to carry had a
# broken IDAT stream: Pillow cannot decode it, and evidence images are now decoded and re-encoded.)
PNG = _png()


def same_image(data: bytes, original: bytes = PNG) -> bool:
    """Whether `data` decodes to the same pixels as `original` (evidence images are re-encoded)."""
    import io

    from PIL import Image

    a, b = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(original))
    return a.format == b.format and a.size == b.size and a.convert("RGBA").tobytes() == b.convert("RGBA").tobytes()
