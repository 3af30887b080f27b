"""Slowing down repeated failed look-ups of a case's public progress, so phone digits cannot be guessed.

Each look-up from a client address is first written down as a failure and struck out again when it finds
the case. Once an address has QGT_PUBLIC_LOOKUP_FAILURES failures within QGT_PUBLIC_LOOKUP_WINDOW_SECONDS
(5 in 10 minutes by default), its look-ups are answered 429 with Retry-After until the oldest failure leaves
the window: at most that many guesses per window, whatever the guesser sends.

The failures are rows in the database, not in a process's memory, so every server process (and every
server behind the hall's proxy) counts the same ones; the project runs no cache server. The rows are
pruned as they age out of the window, and in tests they roll back with each test.
"""

import datetime
import ipaddress
import math

from django.conf import settings
from django.utils import timezone

from quangangtong.cases.models import PublicLookupFailure

# An IPv6 subscriber usually holds a whole /64: counting single addresses would give each guesser 2^64 tries.
IPV6_PREFIX = 64
UNKNOWN_ADDRESS = "unknown"


class TooManyFailures(Exception):
    """Too many failed look-ups from one address lately; retry_after is in whole seconds."""

    def __init__(self, retry_after):
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        self.message = (
            f"查询失败次数过多：为保护申请人信息，请{minutes}分钟后再试。"
            "请核对办件编号（见材料接收单）和申请时登记的手机号码后四位。"
        )
        super().__init__(self.message)


def max_failures():
    return settings.QGT_PUBLIC_LOOKUP_FAILURES


def failure_window():
    return datetime.timedelta(seconds=settings.QGT_PUBLIC_LOOKUP_WINDOW_SECONDS)


def _behind_proxy():
    return settings.QGT_BEHIND_PROXY


def _network(text):
    """Return the address to count by (an IPv6 address as its /64), or "" when text is not an IP address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def client_address(request):
    """Return the address a request's failures are counted by.

    Behind the hall's proxy (QGT_BEHIND_PROXY) it is the last X-Forwarded-For entry: the one the proxy
    appended itself; the entries before it are whatever the client chose to send.
    """
    if _behind_proxy():
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1]
        address = _network(forwarded)
        if address:
            return address
    return _network(request.META.get("REMOTE_ADDR", "")) or UNKNOWN_ADDRESS


def lookup_attempt_begin(*, address, now=None):
    """Count a look-up from address as failed until lookup_attempt_succeed; raise TooManyFailures past the limit.

    Runs in autocommit on purpose, without a transaction: the attempt is written and committed before the
    failures are counted, so of N simultaneous guesses the k-th to count sees at least k of them, and no
    more than the limit get through however many are sent at once.
    """
    now = now or timezone.now()
    window = failure_window()
    limit = max_failures()
    PublicLookupFailure.objects.filter(at__lte=now - window).delete()
    attempt = PublicLookupFailure.objects.create(address=address, at=now)
    recent = PublicLookupFailure.objects.filter(address=address, at__gt=now - window)
    if recent.count() <= limit:
        return attempt
    attempt.delete()
    # The next look-up may go when enough of the failures before it have left the window.
    times = list(recent.order_by("at", "id").values_list("at", flat=True))
    frees_at = times[len(times) - limit] + window if len(times) >= limit else now
    raise TooManyFailures(retry_after=max(1, math.ceil((frees_at - now).total_seconds())))


def lookup_attempt_succeed(*, attempt):
    """Strike out an attempt that found its case: successful look-ups are not failures."""
    PublicLookupFailure.objects.filter(pk=attempt.pk).delete()


def throttled_lookup(request, lookup, *, now=None):
    """Return lookup()'s answer for this client, counting a None answer as a failure; may raise TooManyFailures."""
    attempt = lookup_attempt_begin(address=client_address(request), now=now)
    found = lookup()
    if found is not None:
        lookup_attempt_succeed(attempt=attempt)
    return found
