import re

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


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.]+(?:[+-]\d\d:\d\d|Z)?")
_ID_NUMBER = re.compile(r'"?[a-z_]*id"?\s*[:=]\s*"?\d+"?', re.IGNORECASE)


def shows_phone_tail(text, tail):
    """Tell whether a phone number's last digits appear in text as digits of their own.

    Timestamps and record ids are left out first: a microsecond part such as 12:29:34.695678 is not a phone.
    """
    text = _ID_NUMBER.sub("", _TIMESTAMP.sub("", text))
    return re.search(rf"(?<!\d){tail}(?!\d)", text) is not None
