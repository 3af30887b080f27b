"""Pinyin search keys: people at a kiosk type `sfz` for 身份证 or `minban` for 民办."""

import re

from pypinyin import Style, lazy_pinyin

_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def normalise_query(text):
    """Return the query as lower-case latin letters and digits only, or '' if it has none."""
    return _NOT_LETTER.sub("", text.lower())


def pinyin_keys(text):
    """Return (full pinyin, initials) of text, both lower-case with no separators."""
    hanzi_and_words = [part for part in re.split(r"[\s，,、（）()《》“”\"·\-—/]+", text) if part]
    full = "".join(normalise_query(p) for p in lazy_pinyin(hanzi_and_words, errors="default"))
    initials = "".join(
        normalise_query(p) for p in lazy_pinyin(hanzi_and_words, style=Style.FIRST_LETTER, errors="default")
    )
    return full, initials
