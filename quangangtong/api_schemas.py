"""Shapes shared by every router of /api/v1/."""

from ninja import Schema


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """An error: `detail` is a Chinese sentence for people; `errors` names each bad field for programs."""

    detail: str
    errors: list[FieldError] = []


# Every endpoint may answer these besides its own responses.
VALIDATION_ERRORS = {422: ErrorOut}
STAFF_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
