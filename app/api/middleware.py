"""ASGI middleware: request body size limit, the optional access token, and the uploads
folder of the server a request reaches."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.datasets import uploads_in


async def send_json(send: Send, status: int, body: dict[str, Any],
                     close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]
    if close:  # the server then stops reading what is left of the request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 as soon as a body is known to exceed `max_bytes`; never buffers more.

    A declared Content-Length over the limit is refused before anything is read. A body
    without one (chunked) is counted as the app reads it: once over the limit the 413
    goes out at once and the app's own answer is dropped, since the app may well catch
    the error (FastAPI turns any failure to read a JSON body into a 400). The 413 closes
    the connection, so the server does not go on reading the rest of a huge body.
    `larger` raises the limit for some paths (an upload route's own bound).
    """

    def __init__(self, app: ASGIApp, max_bytes: int,
                 larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.max_bytes, self.larger.get(scope["path"], 0))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._reject(send, limit)
            return
        received = 0
        started = rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        rejected = True
                        await self._reject(send, limit)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 is out: whatever the app answers instead is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # answered already, or the answer had begun
            await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, send: Send, limit: int) -> None:
        await send_json(send, 413, {"detail": f"the request body is over the limit of "
                                               f"{limit:,} bytes", "errors": []}, close=True)


TOKEN_COOKIE = "layerlab_token"


def _cookie(headers: dict[bytes, bytes], name: str) -> str:
    jar = SimpleCookie()
    jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    morsel = jar.get(name)
    return morsel.value if morsel else ""


class TokenAuth:
    """Requires the token on the API and its websockets (health stays open), and on
    `guarded_paths` outside it (the schema and the docs pages, which map the whole API
    for whoever reads them): as `Authorization: Bearer <token>`, or the cookie the login
    page sets (browsers cannot put headers on a websocket)."""

    def __init__(self, app: ASGIApp, token: str, prefix: str, open_paths: set[str],
                 guarded_paths: frozenset[str] = frozenset(),
                 step_aside: Callable[[], bool] = lambda: False) -> None:
        self.app = app
        self.step_aside = step_aside  # True: users sign in as themselves instead
        self.token = token.encode()
        self.prefix = prefix
        self.open_paths = open_paths
        self.guarded_paths = guarded_paths

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        scheme, _, bearer = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer":
            bearer = b""
        cookie = _cookie(headers, TOKEN_COOKIE).encode()
        return secrets.compare_digest(bearer, self.token) or secrets.compare_digest(
            cookie, self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self._guarded(scope) and not self._authorised(dict(scope["headers"]))
                and not self.step_aside()):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4401})
                return
            await send_json(send, 401, {"detail": "missing or wrong access token: send "
                                                   "'Authorization: Bearer <token>'",
                                         "errors": []})
            return
        await self.app(scope, receive, send)

    def _guarded(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket"):
            return False
        return path in self.guarded_paths or (path.startswith(self.prefix)
                                              and path not in self.open_paths)


class UploadsFolder:
    """Each request finds uploaded tables in its own server's folder, even where several
    servers share one process (the process-wide folder is the last one started)."""

    def __init__(self, app: ASGIApp, folder: Path) -> None:
        self.app = app
        self.folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with uploads_in(self.folder):
            await self.app(scope, receive, send)
