"""Requests that change something come from this server's own pages and say what they send.

A browser lets any page it shows send a "simple" POST (a `text/plain`, form or multipart
body) to any server, cookies included; only the Origin header tells where it came from.
So a state-changing request whose Origin is neither this server's nor a configured one
is 403, on every path (websockets check the same rule when they open). Requests without
an Origin (scripts, the CLI, the Python client, curl) are not a browser page's, and pass.
A body sent to the API must also be of the type its route declares (JSON, unless the
route is listed in `body_types`): anything else is 415 before the route sees it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.middleware import send_json

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPE = "application/json"
WEB_SCHEMES = {"ws": "http", "wss": "https"}  # the scheme of a page served where a socket is


def same_origin(origin: str | None, scope: Scope, allowed: list[str]) -> bool:
    """Same origin, a configured origin, or no Origin header (not a browser). Same origin
    is scheme and host: an https page is not this http server's own, whatever its host."""
    if origin is None or origin in allowed:
        return True
    scheme = WEB_SCHEMES.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    host = Headers(scope=scope).get("host", "")
    return origin.lower() == f"{scheme}://{host}".lower()


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


class WriteGuard:
    """403 for a state-changing request from a foreign page; 415 for an API body of a type
    its route does not take (`body_types` maps a path to its type, JSON otherwise)."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str], prefix: str,
                 body_types: Mapping[str, str]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins
        self.prefix = prefix
        self.body_types = body_types

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not same_origin(origin, scope, self.allowed_origins):
            await send_json(send, 403, {
                "detail": f"a page from {origin} may not change this server: only its own "
                          "pages may (add that origin to LAYERLAB_ALLOWED_ORIGINS to trust "
                          "it)", "errors": []})
            return
        path: str = scope["path"]
        if path.startswith(self.prefix) and _has_body(headers):
            wanted = self.body_types.get(path, JSON_TYPE)
            sent = media_type(headers.get("content-type", ""))
            if sent != wanted:
                await send_json(send, 415, {
                    "detail": f"{scope['method']} {path} takes a body of type {wanted}, not "
                              f"{sent or 'an undeclared type'}: send it with "
                              f"'Content-Type: {wanted}'", "errors": []})
                return
        await self.app(scope, receive, send)
