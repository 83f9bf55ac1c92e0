"""One error hierarchy: every expected failure carries a message fit for a user and an HTTP status."""

from __future__ import annotations


class KGError(Exception):
    """Base of kgservice's expected errors."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(KGError):
    """A setting has an invalid value."""

    status = 500


class InputError(KGError):
    """An article or request could not be read."""

    status = 400


class TooLarge(InputError):
    """An article, query or request is larger than the service accepts."""

    status = 413


class QuerySyntaxError(KGError):
    """A SPARQL query or update does not parse."""

    status = 400


class NotFound(KGError):
    """The resource does not exist."""

    status = 404


class NotAcceptable(KGError):
    """No representation matches the request's Accept header."""

    status = 406


class StoreError(KGError):
    """The store cannot be opened or written."""

    status = 503
