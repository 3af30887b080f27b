import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_runs_on_the_database_ci_asked_for():
    """CI runs the suite twice; this fails if the PostgreSQL run silently fell back to SQLite."""
    expected = os.environ.get("QGT_EXPECT_DATABASE")
    if expected is None:
        pytest.skip("QGT_EXPECT_DATABASE not set (CI sets it)")
    assert connection.vendor == expected
