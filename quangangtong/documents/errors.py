"""Error raised when a notice cannot be printed as given."""


class DocumentError(ValueError):
    """A notice that must not be printed; message is Chinese and says how to fix it, field names the culprit."""

    def __init__(self, message, *, field=""):
        super().__init__(message)
        self.message = message
        self.field = field
