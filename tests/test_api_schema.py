"""Property-based tests of the whole public API from its own OpenAPI document (schemathesis).

Whatever a client sends, within or outside the schema, the answer is never a 5xx and conforms to
the documented shapes.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from quangangtong.wsgi import application

# Reading the document runs no query, so it can be loaded while the tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Keep the test's connection open across calls, as Django's own test client does.

    schemathesis calls the WSGI application directly, so each request would otherwise end by closing
    the connection that holds the test's transaction (PostgreSQL; in-memory SQLite is exempt).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_matches_its_schema(case, demo_hall):
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, excluded_checks=[schemathesis.checks.ignored_auth])
