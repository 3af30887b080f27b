"""Masking for display, per PIPL: show the full value only where it is needed."""

from .errors import IdNumberError
from .phone import validate_mobile


def mask_name(name: str) -> str:
    """Mask a personal name: "张三" -> "张*", "张三丰" -> "张*丰"."""
    name = (name or "").strip()
    if len(name) <= 1:
        # Keeping the only character would reveal the whole name.
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(value: str) -> str:
    """Keep the first and last 4 characters; hides the birth date (国办函〔2016〕108号)."""
    return _mask_middle((value or "").strip(), keep_start=4, keep_end=4)


def mask_phone(value: str) -> str:
    """Mask a phone number: mobiles as "138****8000", others keep first 3 and last 2 characters."""
    try:
        return _mask_middle(validate_mobile(value), keep_start=3, keep_end=4)
    except IdNumberError:
        return _mask_middle((value or "").strip(), keep_start=3, keep_end=2)


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    """Replace the middle with one * per character; fully mask text too short to hide anything."""
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]
