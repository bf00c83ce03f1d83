"""schemathesis against ansinh's own OpenAPI for the machine API (/api/g2p/openapi.json):
generated requests, with and without a valid bearer token, never make a server error."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ansinh.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/g2p/openapi.json", application)


@pytest.fixture
def bearer(db):
    from django.test import Client

    from tests.interop.conftest import make_client
    from tests.interop.helpers import token

    return token(Client(), make_client("bank-fuzz"))


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error(case, bearer):
    for headers in ({"Authorization": f"Bearer {bearer}"}, {}):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
