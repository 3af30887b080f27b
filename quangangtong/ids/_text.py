"""Input clean-up shared by the validators."""

import unicodedata

DIGITS = "0123456789"


def clean(value) -> str:
    """Return value as stripped, upper-case half-width text ("" for None)."""
    if value is None:
        return ""
    # NFKC turns full-width IME input such as "１１０１…Ｘ" into ASCII.
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def all_digits(text: str) -> bool:
    """Return True if text is non-empty and made of ASCII digits only."""
    return bool(text) and all(ch in DIGITS for ch in text)
