"""Cross-site websockets (Origin) and DNS-rebinding style requests (Host) are refused."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlsplit

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.security.helpers import ALLOWED_ORIGIN, API, AUTH, Lab


def _handshake(lab: Lab, run_id: str, **headers: str) -> int:
    """101 when the stream opened and sent its snapshot, else the close code."""
    try:
        with lab.client.websocket_connect(f"{API}/runs/{run_id}/stream", headers=headers) as ws:
            assert ws.receive_json()["kind"] == "snapshot"
            return 101
    except WebSocketDisconnect as closed:
        return closed.code


@pytest.mark.parametrize("origin", [
    "http://evil.example", "null", "http://testserver.evil.example",
    "http://evil.example@testserver", "http://testserver@evil.example", "file://",
    "https://allowed.example.evil", "https://ALLOWED.example/x",
])
def test_websocket_from_a_foreign_origin_is_refused(lab: Lab, run: str, origin: str) -> None:
    """A browser page on another origin cannot open a run's stream: closed with 4403."""
    assert _handshake(lab, run, origin=origin) == 4403


@pytest.mark.parametrize("origin", ["http://testserver", ALLOWED_ORIGIN, None])
def test_websocket_from_same_or_allowed_origin_opens(lab: Lab, run: str,
                                                     origin: str | None) -> None:
    """The page's own origin, a configured allowed_origins entry and non-browsers get the stream."""
    headers = {"origin": origin} if origin else {}
    assert _handshake(lab, run, **headers) == 101


@pytest.mark.parametrize("host", [
    "evil.example", "testserver.evil.example", "127.0.0.1.nip.io", "evil.example:80",
    "testserver@evil.example", "",
])
def test_http_with_a_foreign_host_is_refused(lab: Lab, host: str) -> None:
    """A request whose Host is not a trusted name gets 400, even on the open health route."""
    assert lab.client.get(f"{API}/health").status_code == 200
    response = lab.client.get(f"{API}/health", headers={"host": host})
    assert response.status_code == 400
    assert lab.client.get(f"{API}/runs", headers={"host": host}).status_code == 400


def test_websocket_with_a_foreign_host_is_refused(lab: Lab, run: str) -> None:
    """The websocket handshake with a foreign Host is denied with an HTTP 400."""
    with pytest.raises(WebSocketDenialResponse) as denied, lab.client.websocket_connect(
            f"{API}/runs/{run}/stream", headers={"host": "evil.example"}):
        pass
    assert denied.value.status_code == 400
    # even where the Origin agrees with the forged Host (a rebinding page's own origin)
    with pytest.raises(WebSocketDenialResponse) as denied, lab.client.websocket_connect(
            f"{API}/runs/{uuid.uuid4().hex}/stream",
            headers={"host": "evil.example", "origin": "http://evil.example"}):
        pass
    assert denied.value.status_code == 400


def test_real_server_refuses_a_foreign_host(server: str,
                                            record_property: pytest.RecordProperty) -> None:
    """Over a real socket: a foreign Host gets 400, the bound address 200."""
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    statuses = {}
    for host in (f"evil.example:{parts.port}", f"127.0.0.1:{parts.port}"):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.putrequest("GET", f"{API}/layers", skip_host=True)
            connection.putheader("Host", host)
            connection.putheader("Authorization", AUTH["Authorization"])
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            statuses[host.split(":")[0]] = response.status
        finally:
            connection.close()
    assert statuses == {"evil.example": 400, "127.0.0.1": 200}
    record_property("detail", f"foreign Host {statuses['evil.example']}, own host 200")
