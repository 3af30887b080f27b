class NotifyError(Exception):
    """A message that cannot be sent as asked; message is Chinese and says how to fix it, field names the input.

    Raised before anything is written: an invalid phone, an unknown template, a missing text parameter, or a
    parameter that contains an identity number (which must never go out by SMS).
    """

    def __init__(self, message, *, status=400, field=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
