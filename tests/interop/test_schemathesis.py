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
    """A valid token; and the database connection kept open across the WSGI calls (Django's
    request_started/finished close it, ending the test's transaction on PostgreSQL: the test client
    does the same disconnect)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import Client

    from tests.interop.conftest import make_client
    from tests.interop.helpers import token

    from ansinh.interop import clients

    tok = token(Client(), make_client("bank-fuzz"))
    agency = token(Client(), clients.create_client(
        "agency-fuzz", name="Cơ quan thử", organisation="Cơ quan thử", kind="agency", operations=["search"],
        scope=["20"], fields=["name", "birth_year", "commune", "alive", "beneficiary"], created_by="test"))
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield {"provider": tok, "agency": agency}
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error(case, bearer):
    """Every operation, the DCI search (/registry/sync/search) with an agency's token, the rest with a provider's."""
    tok = bearer["agency" if case.path.startswith("/registry/") else "provider"]
    for headers in ({"Authorization": f"Bearer {tok}"}, {}):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
