"""Error raised when an identity number, credit code or phone number is invalid."""


class IdNumberError(ValueError):
    """Invalid identifier; the message says in Chinese what is wrong and how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
