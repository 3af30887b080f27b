"""Validation and masking of Chinese identity numbers, credit codes and phone numbers (no Django needed)."""

from .errors import IdNumberError
from .masking import mask_id_number, mask_name, mask_phone
from .phone import validate_mobile
from .resident import resident_id_birth_date, resident_id_check_char, resident_id_sex, validate_resident_id
from .uscc import uscc_check_char, validate_uscc

__all__ = [
    "IdNumberError",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_sex",
    "uscc_check_char",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
]
