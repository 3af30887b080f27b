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


def test_postgresql_borrows_connections_from_a_pool():
    from quangangtong.settings import _database

    config = _database("postgres://qgt@db.example:5432/qgt", pool_size=8)
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["pool"]["max_size"] == 8
    assert "pool" not in _database("postgres://qgt@db.example:5432/qgt", pool_size=0).get("OPTIONS", {})
    assert "pool" not in _database("sqlite:///x.sqlite3", pool_size=8)["OPTIONS"]


@pytest.mark.django_db(transaction=True)
def test_a_pooled_connection_runs_queries_and_goes_back_to_the_pool():
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (the PostgreSQL run of the suite checks it)")
    from django.db.utils import ConnectionHandler

    config = {**connection.settings_dict, "CONN_MAX_AGE": 0}
    config["OPTIONS"] = {**config["OPTIONS"], "pool": {"min_size": 1, "max_size": 2, "timeout": 5}}
    pooled = ConnectionHandler({"default": config})["default"]
    try:
        for _ in range(3):
            with pooled.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM hall_site")
                assert cursor.fetchone()[0] >= 0
            pooled.close()  # back to the pool, not closed
        stats = pooled.pool.get_stats()
        assert stats["pool_max"] == 2
        assert stats["connections_num"] <= 2
    finally:
        pooled.close_pool()
