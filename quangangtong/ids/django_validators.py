"""Django field validators wrapping the pure-Python checks."""

from django.core.exceptions import ValidationError

from .errors import IdNumberError
from .phone import validate_mobile
from .resident import validate_resident_id
from .uscc import validate_uscc


def resident_id_validator(value: str) -> None:
    """Raise ValidationError unless value is a valid resident ID number."""
    _run(validate_resident_id, value)


def uscc_validator(value: str) -> None:
    """Raise ValidationError unless value is a valid 统一社会信用代码."""
    _run(validate_uscc, value)


def mobile_validator(value: str) -> None:
    """Raise ValidationError unless value is a mainland mobile number."""
    _run(validate_mobile, value)


def _run(check, value: str) -> None:
    """Call check and turn IdNumberError into ValidationError."""
    try:
        check(value)
    except IdNumberError as exc:
        raise ValidationError(exc.message, code="invalid") from exc
