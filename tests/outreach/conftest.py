"""Outreach test fixtures: media files in a temporary folder, the public pages mounted,
demo organisations and users."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ROOT_URLCONF = "tests.outreach.urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
    try:  # the accounts engine caches targets and units between calls: start each test clean
        from ansinh.accounts.selectors import clear_caches
    except ImportError:
        clear_caches = None
    if clear_caches:
        clear_caches()


@pytest.fixture
def demo(db):
    """The demo organisations and users (core) plus the outreach demo (the seed letter)."""
    from ansinh.core.demo import create_demo_users
    from ansinh.outreach.services import demo_setup

    create_demo_users()
    return demo_setup()


# A real (tiny) PNG photo: 1x1 pixel.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
