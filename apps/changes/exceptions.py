from apps.platform.errors import DomainError


class ChangeError(DomainError):
    """A refused operation on a change, with a message meant for the user (see DomainError)."""


class IllegalTransition(ChangeError):
    http_status = 409


class StaleChange(ChangeError):
    http_status = 409


class ChangeForbidden(ChangeError):
    http_status = 403
