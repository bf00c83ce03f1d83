"""The web tests' demo users and a signed-in client."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.core.demo import DEMO_PASSWORD, create_demo_users


@pytest.fixture
def demo():
    create_demo_users()


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c
