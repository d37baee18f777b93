"""ASGI middleware: request body size limit and the optional access token."""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 as soon as a body is known to exceed `max_bytes`; never buffers more."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        await _send_json(send, 413, {"detail": f"the request body is over the limit of "
                                               f"{self.max_bytes:,} bytes", "errors": []})


TOKEN_COOKIE = "layerlab_token"


def _cookie(headers: dict[bytes, bytes], name: str) -> str:
    jar = SimpleCookie()
    jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    morsel = jar.get(name)
    return morsel.value if morsel else ""


class TokenAuth:
    """Requires the token on the API and its websockets (health stays open): as
    `Authorization: Bearer <token>`, or the cookie the login page sets (browsers
    cannot put headers on a websocket)."""

    def __init__(self, app: ASGIApp, token: str, prefix: str, open_paths: set[str]) -> None:
        self.app = app
        self.token = token.encode()
        self.prefix = prefix
        self.open_paths = open_paths

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        bearer = headers.get(b"authorization", b"").removeprefix(b"Bearer ")
        cookie = _cookie(headers, TOKEN_COOKIE).encode()
        return secrets.compare_digest(bearer, self.token) or secrets.compare_digest(
            cookie, self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._guarded(scope) and not self._authorised(dict(scope["headers"])):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4401})
                return
            await _send_json(send, 401, {"detail": "missing or wrong access token: send "
                                                   "'Authorization: Bearer <token>'",
                                         "errors": []})
            return
        await self.app(scope, receive, send)

    def _guarded(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return (scope["type"] in ("http", "websocket") and path.startswith(self.prefix)
                and path not in self.open_paths)
