class CaseError(Exception):
    """A case operation that cannot be done; message is Chinese and says why, status is the HTTP status.

    400: the input is wrong (an invalid ID number, a missing reason); 403: the user's role or department may
    not do it; 404: what it refers to does not exist; 409: the case is not in a state that allows it, or
    someone else changed it first.
    """

    def __init__(self, message, *, status=409, field=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
