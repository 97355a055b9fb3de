class ChangeError(Exception):
    """A refused operation on a change, with a message meant for the user.

    ``http_status`` is what the API answers; forms show the message as a validation error.
    """

    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class IllegalTransition(ChangeError):
    http_status = 409


class StaleChange(ChangeError):
    http_status = 409


class ChangeForbidden(ChangeError):
    http_status = 403
