class DomainError(Exception):
    """A refused operation with a message meant for the user; every app's own errors derive from it.

    ``http_status`` is what the API answers (apps.platform.api.exceptions); forms show the message as a validation
    error.
    """

    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
