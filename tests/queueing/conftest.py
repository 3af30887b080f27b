import pytest
from django.contrib.auth.models import User

from quangangtong.hall.models import Site, Window


@pytest.fixture
def floor(db):
    """Load the demo hall with its floor, accounts and skills; return the district hall site."""
    from quangangtong.demo.loader import demo_load

    demo_load()
    return Site.objects.get(code="qjq-hall")


@pytest.fixture
def officer(floor):
    return User.objects.get(username="officer03")


@pytest.fixture
def window3(floor):
    return Window.objects.get(site=floor, number=3)
