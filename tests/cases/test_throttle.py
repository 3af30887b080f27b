"""Slowing down failed public look-ups: the limit, its reset, the client's address behind the proxy."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quangangtong.cases.throttle import (
    PublicLookupFailure,
    TooManyFailures,
    client_address,
    lookup_attempt_begin,
    lookup_attempt_succeed,
    throttled_lookup,
)

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 10, 8, 10, 0))
ADDRESS = "203.0.113.7"


def _fail(times, *, address=ADDRESS, start=NOW, every=datetime.timedelta(seconds=1)):
    for n in range(times):
        lookup_attempt_begin(address=address, now=start + n * every)


def _request(remote="192.0.2.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/progress/", **meta)


# --- the limit ----------------------------------------------------------------------------------


def test_it_lets_five_failures_through_and_refuses_the_sixth(db):
    _fail(5)
    with pytest.raises(TooManyFailures) as refused:
        lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(seconds=10))
    assert "分钟后再试" in refused.value.message
    assert refused.value.retry_after == 590


def test_it_says_when_the_oldest_failure_leaves_the_window(db):
    _fail(5, every=datetime.timedelta(minutes=1))
    with pytest.raises(TooManyFailures) as refused:
        lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(minutes=7))
    assert refused.value.retry_after == 3 * 60
    assert "3分钟" in refused.value.message


def test_it_lets_look_ups_through_again_once_the_window_has_passed(db):
    _fail(5)
    lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(minutes=10, seconds=1))


def test_a_refused_look_up_does_not_push_the_reset_further(db):
    _fail(5)
    for minute in range(1, 10):
        with pytest.raises(TooManyFailures):
            lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(minutes=minute))
    assert PublicLookupFailure.objects.count() == 5
    lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(minutes=10, seconds=1))


def test_successful_look_ups_are_not_counted_as_failures(db):
    for n in range(20):
        attempt = lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(seconds=n))
        lookup_attempt_succeed(attempt=attempt)
    _fail(5, start=NOW + datetime.timedelta(seconds=30))
    assert PublicLookupFailure.objects.count() == 5


def test_each_address_has_its_own_count(db):
    _fail(5)
    lookup_attempt_begin(address="198.51.100.9", now=NOW + datetime.timedelta(seconds=10))


def test_it_forgets_failures_that_left_the_window(db):
    _fail(3, address="198.51.100.9")
    lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(minutes=11))
    assert list(PublicLookupFailure.objects.values_list("address", flat=True)) == [ADDRESS]


def test_the_limit_and_window_come_from_the_settings(db, settings):
    settings.QGT_PUBLIC_LOOKUP_FAILURES = 2
    settings.QGT_PUBLIC_LOOKUP_WINDOW_SECONDS = 60
    _fail(2)
    with pytest.raises(TooManyFailures) as refused:
        lookup_attempt_begin(address=ADDRESS, now=NOW + datetime.timedelta(seconds=2))
    assert refused.value.retry_after == 58


def test_a_throttled_lookup_counts_only_a_none_answer(db):
    request = _request()
    assert throttled_lookup(request, lambda: "found", now=NOW) == "found"
    assert throttled_lookup(request, lambda: None, now=NOW) is None
    assert list(PublicLookupFailure.objects.values_list("address", flat=True)) == ["192.0.2.1"]


def test_a_throttled_lookup_does_not_run_once_refused(db):
    _fail(5, address="192.0.2.1")
    ran = []
    with pytest.raises(TooManyFailures):
        throttled_lookup(_request(), lambda: ran.append(1), now=NOW + datetime.timedelta(seconds=10))
    assert ran == []


# Whatever the times and outcomes of the look-ups, at most five failures get through in any ten minutes,
# and a look-up is refused only when five already have.
@given(attempts=st.lists(st.tuples(st.integers(min_value=0, max_value=3600), st.booleans()), min_size=1, max_size=25))
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_more_than_five_failures_get_through_in_any_ten_minutes(db, attempts):
    PublicLookupFailure.objects.all().delete()
    window = datetime.timedelta(minutes=10)
    failed_through = []
    for second, succeeds in sorted(attempts):
        now = NOW + datetime.timedelta(seconds=second)
        recent = [t for t in failed_through if t > now - window]
        try:
            attempt = lookup_attempt_begin(address=ADDRESS, now=now)
        except TooManyFailures:
            assert len(recent) >= 5
            continue
        assert len(recent) < 5
        if succeeds:
            lookup_attempt_succeed(attempt=attempt)
        else:
            failed_through.append(now)


@pytest.mark.django_db(transaction=True)
def test_guesses_sent_all_at_once_get_no_more_than_five_through():
    count = 16
    barrier = threading.Barrier(count, timeout=60)
    passed, errors = [], []

    def guess():
        try:
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                connection.connection.execute("PRAGMA busy_timeout = 120000")
            barrier.wait()
            passed.append(lookup_attempt_begin(address=ADDRESS, now=NOW))
        except TooManyFailures:
            pass
        except BaseException as exc:  # handed to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(passed) <= 5
    assert PublicLookupFailure.objects.count() == len(passed)


# --- the client's address -----------------------------------------------------------------------


def test_it_counts_by_the_connecting_address(settings):
    settings.QGT_BEHIND_PROXY = False
    assert client_address(_request(remote="192.0.2.1", forwarded="198.51.100.1")) == "192.0.2.1"


def test_behind_the_proxy_it_counts_by_the_address_the_proxy_appended(settings):
    settings.QGT_BEHIND_PROXY = True
    request = _request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.1")
    assert client_address(request) == "198.51.100.1"


def test_behind_the_proxy_a_client_cannot_choose_its_address(settings):
    settings.QGT_BEHIND_PROXY = True
    first = client_address(_request(remote="10.0.0.2", forwarded="1.1.1.1, 198.51.100.1"))
    second = client_address(_request(remote="10.0.0.2", forwarded="2.2.2.2, 198.51.100.1"))
    assert first == second == "198.51.100.1"


def test_behind_the_proxy_a_missing_or_garbled_header_falls_back_to_the_connection(settings):
    settings.QGT_BEHIND_PROXY = True
    assert client_address(_request(remote="10.0.0.2")) == "10.0.0.2"
    assert client_address(_request(remote="10.0.0.2", forwarded="1.1.1.1, not-an-address")) == "10.0.0.2"


def test_an_ipv6_client_is_counted_by_its_slash_64(settings):
    settings.QGT_BEHIND_PROXY = False
    first = client_address(_request(remote="2001:db8:1:2::1"))
    second = client_address(_request(remote="2001:db8:1:2:ffff::9"))
    assert first == second == "2001:db8:1:2::/64"
    assert client_address(_request(remote="::ffff:192.0.2.5")) == "192.0.2.5"
