import pytest


@pytest.fixture(autouse=True)
def _planner_in_the_request(settings):
    """Run planner questions in the request that starts them, in this process (no background thread)."""
    settings.QGT_PLANNER_SYNC = True
    settings.QGT_PLANNER_WORKERS = 1
