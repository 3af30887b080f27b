class FloorError(Exception):
    """A floor operation that cannot be done; message is Chinese and says why, status is the HTTP status.

    400: the request itself is wrong (unknown category, nobody signed in); 409: the ticket or window is
    not in a state that allows it (finish a ticket that is still waiting).
    """

    def __init__(self, message, *, status=409, field=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
