"""Mainland China mobile phone numbers."""

import re

from ._text import clean
from .errors import IdNumberError

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
SEPARATORS_RE = re.compile(r"[\s\-()]")
COUNTRY_PREFIXES = ("+86", "0086", "86")


def validate_mobile(value: str) -> str:
    """Return the 11-digit mobile number, dropping +86 and separators, or raise IdNumberError."""
    number = SEPARATORS_RE.sub("", clean(value))
    for prefix in COUNTRY_PREFIXES:
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix) :]
            break
    if not MOBILE_RE.fullmatch(number):
        raise IdNumberError("手机号码应为11位，以1开头")
    return number
