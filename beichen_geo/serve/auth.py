"""Access to the workbench: loopback only by default; a random token for any other host (as Jupyter does).

Bound to 127.0.0.1 (the default) the server answers only requests whose ``Host`` is a loopback
name (so a web page cannot reach it through DNS rebinding) and asks for no token. Bound to
another address it asks every request for the token printed at start: once as ``?token=...``
(the answer then sets an HTTP-only cookie), or as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

#: Cookie holding the token after a ``?token=`` visit.
COOKIE = "beichen_geo_token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Is ``host`` (a name or address to bind to) this machine only?"""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A random access token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def _host_name(header: str) -> str:
    h = header.strip().lower()
    if h.startswith("["):  # [::1]:8765
        return h[1:h.index("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


Next = Callable[[Request], Awaitable[Response]]


def access_middleware(token: str | None, *, loopback_only: bool) -> Callable[[Request, Next], Awaitable[Response]]:
    """An HTTP middleware enforcing the rules above (``token`` None = no token asked)."""

    async def check(request: Request, call_next: Next) -> Response:
        if loopback_only and not is_loopback(_host_name(request.headers.get("host", ""))):
            return JSONResponse({"error": "this server answers only requests to 127.0.0.1 or localhost"},
                                status_code=403)
        if token is None:
            return await call_next(request)
        given = request.query_params.get("token")
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        cookie = request.cookies.get(COOKIE)
        ok = any(v is not None and secrets.compare_digest(v.encode(), token.encode()) for v in (given, bearer, cookie))
        if not ok:
            what = "a wrong access token" if (given or bearer or cookie) else "no access token"
            return JSONResponse({"error": f"{what}: open the URL with ?token=... printed when the server started, "
                                          "or send Authorization: Bearer <token>"}, status_code=401)
        response = await call_next(request)
        if given is not None and cookie != token:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    return check
