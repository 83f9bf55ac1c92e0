"""Write routes need ``Authorization: Bearer $KG_API_TOKEN``; with no token set, or ``KG_READ_ONLY``, writes are off.

Every route that changes the store calls :func:`require_token` before it reads the request
body (``tests/test_security.py`` walks the URL map to hold every future write route to it).
The token is never logged: the request log records the path without the query string and
no headers.
"""

from __future__ import annotations

import hmac

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from kgservice.web import settings


def require_token() -> None:
    """Refuse the request unless it carries the API token (compared in constant time).

    ``KG_READ_ONLY``: 403 for everyone, a valid token too. No token configured: 403 (writes
    are off). No or malformed ``Authorization``: 401 with a ``WWW-Authenticate: Bearer``
    challenge. A wrong token: 403.
    """
    if settings().read_only:
        raise Forbidden(
            "this service is read-only (KG_READ_ONLY is set): it accepts no writes, with or without a token"
        )
    token = settings().api_token
    if not token:
        raise Forbidden("writes are off on this service: it was started without KG_API_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized(
            "this route needs `Authorization: Bearer <token>` (the service's KG_API_TOKEN)",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "kgservice"}),
        )
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise Forbidden("the bearer token is not this service's API token")
