"""Same origin means the same scheme too: a page served over https, even on this server's
own host, is not the page of an http server, so its websocket is refused (4403)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

NO_RUN = "0123456789abcdef0123456789abcdef"


def _close_code(client: TestClient, origin: str) -> int:
    """The code the stream of a run that does not exist closes with: 4404 once the Origin
    is allowed, 4403 before that when it is not."""
    try:
        with client.websocket_connect(f"/api/v1/runs/{NO_RUN}/stream",
                                      headers={"origin": origin}) as ws:
            ws.receive_json()
    except WebSocketDisconnect as closed:
        return closed.code
    raise AssertionError("the stream of a run that does not exist opened")


@pytest.mark.parametrize(("origin", "code"), [
    ("https://testserver", 4403),
    ("wss://testserver", 4403),
    ("ws://testserver", 4403),
    ("http://testserver", 4404),
    ("HTTP://TestServer", 4404),
])
def test_an_origin_of_another_scheme_is_refused(client: TestClient, origin: str, code: int,
                                                record_property: Any) -> None:
    assert _close_code(client, origin) == code
    record_property("detail", f"Origin {origin} to an http server: {code}")
