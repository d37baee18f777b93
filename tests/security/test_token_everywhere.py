"""The access token guards every route under /api/v1, found from the app's own route
table (so a route added later is covered without touching this file); only health
stays open. Extends tests/api/test_access.py (one route, bearer only)."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.middleware import TOKEN_COOKIE
from tests.security.helpers import (
    API,
    TOKEN,
    Endpoint,
    Lab,
    api_endpoints,
    create_run,
    fill,
    wait_for,
)

OPEN = {f"{API}/health"}


def status_of(client: TestClient, endpoint: Endpoint, url: str) -> int:
    """The HTTP status, or for a websocket the close code (or 101 once accepted)."""
    if endpoint.method == "WS":
        try:
            with client.websocket_connect(url) as ws:
                assert ws.receive_json()["kind"] == "snapshot"
                return 101
        except WebSocketDisconnect as closed:
            return closed.code
    body = {} if endpoint.method in ("POST", "PUT", "PATCH") else None
    return client.request(endpoint.method, url, json=body).status_code


@pytest.fixture(scope="module")
def victim(lab: Lab) -> str:
    """A real run created with the token, trained, deleted last by the sweep."""
    run_id = create_run(lab.client, name="token sweep")
    assert wait_for(lab.client, run_id)["status"] == "completed"
    return run_id


def _path_values(run_id: str) -> dict[str, str]:
    """A plausible value for each path parameter (a sweep or an upload that does not
    exist: 404)."""
    return {"run_id": run_id, "name": "xor", "fmt": "pytorch", "lesson_id": "xor",
            "sweep_id": "0" * 32, "upload_id": "0" * 32, "import_id": "0" * 32,
            "class_id": "0" * 32, "assignment_id": "0" * 32}


def test_every_api_route_needs_the_token(lab: Lab, victim: str,
                                         record_property: pytest.RecordProperty) -> None:
    """Each /api/v1 route, websocket and export included, answers 401 (ws: 4401) without it."""
    endpoints = api_endpoints(lab.app)
    values = _path_values(victim)
    kinds = {e.method for e in endpoints}
    assert {"GET", "POST", "DELETE", "WS"} <= kinds
    assert any("/export/" in e.path for e in endpoints), "the export route was not found"
    assert len(endpoints) >= 25, [f"{e.method} {e.path}" for e in endpoints]
    open_hits = []
    for endpoint in endpoints:
        url = fill(endpoint.path, values)
        status = status_of(lab.anon, endpoint, url)
        if endpoint.path in OPEN:
            open_hits.append(endpoint.path)
            assert status == 200, f"{endpoint.method} {url} should stay open, got {status}"
        else:
            expected = 4401 if endpoint.method == "WS" else 401
            assert status == expected, f"{endpoint.method} {url} answered {status} without token"
    assert open_hits == [f"{API}/health"]
    record_property("detail", f"{len(endpoints) - 1} endpoints refused without the token "
                              f"({sum(e.method == 'WS' for e in endpoints)} websocket)")


def test_every_api_route_opens_with_the_token(lab: Lab, victim: str,
                                              record_property: pytest.RecordProperty) -> None:
    """With the bearer token no route answers 401/4401, and none fails with a 5xx."""
    endpoints = api_endpoints(lab.app)
    values = _path_values(victim)
    seen: dict[str, int] = {}
    for endpoint in endpoints:
        url = fill(endpoint.path, values)
        status = status_of(lab.client, endpoint, url)
        seen[f"{endpoint.method} {endpoint.path}"] = status
        assert status not in (401, 4401), f"{endpoint.method} {url}: {status} with the token"
        assert status < 500, f"{endpoint.method} {url}: {status}"
    assert seen[f"WS {API}/runs/{{run_id}}/stream"] == 101
    assert seen[f"GET {API}/runs/{{run_id}}/export/{{fmt}}"] == 200
    assert seen[f"DELETE {API}/runs/{{run_id}}"] == 204
    record_property("detail", f"{len(seen)} endpoints answer with the token")


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN.upper()}"},
    {"Cookie": f"{TOKEN_COOKIE}=wrong-token-value-0000"},
    {"Cookie": f'{TOKEN_COOKIE}="{TOKEN}'},  # broken quoting
    {"Cookie": f"other={TOKEN}"},
    {"X-Token": TOKEN},
], ids=["none", "empty-bearer", "short", "long", "basic", "upper", "wrong-cookie",
        "broken-cookie", "other-cookie", "other-header"])
def test_near_miss_credentials_are_refused(lab: Lab, headers: dict[str, str]) -> None:
    """Wrong, truncated, extended or misplaced tokens get 401 on HTTP and 4401 on websockets."""
    assert lab.anon.get(f"{API}/runs", headers=headers).status_code == 401
    assert lab.anon.get(f"{API}/runs?token={TOKEN}", headers=headers).status_code == 401
    run_id = uuid.uuid4().hex
    with pytest.raises(WebSocketDisconnect) as closed, \
            lab.anon.websocket_connect(f"{API}/runs/{run_id}/stream", headers=headers):
        pass
    assert closed.value.code == 4401


def test_login_cookie_opens_http_and_websocket(lab: Lab) -> None:
    """The cookie /login sets is accepted on the API and its websocket; a wrong login is 401."""
    assert lab.anon.post("/login", data={"token": "wrong-token-value-0000"},
                         follow_redirects=False).status_code == 401
    browser = TestClient(lab.app)  # the lab's app, already started; keeps cookies
    login = browser.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
    assert browser.get(f"{API}/runs").status_code == 200
    with pytest.raises(WebSocketDisconnect) as closed, \
            browser.websocket_connect(f"{API}/runs/{uuid.uuid4().hex}/stream"):
        pass
    assert closed.value.code == 4404  # past the token check: the run does not exist


RAW_PATHS = [
    "//api/v1/runs", "/api//v1/runs", "/api/v1//runs", "/api/v1/runs/", "/api/v1/./runs",
    "/api/v1/health/../runs", "/api/v1/health/%2e%2e/runs", "/api/v1/health%2f..%2fruns",
    "/api/%76%31/runs", "/%61pi/v1/runs", "/API/v1/runs", "/api/v1/runs;x", "/api/v1/runs%00",
    "/static/../api/v1/runs", "/api/v1/runs?x=/api/v1/health",
]


def test_token_cannot_be_bypassed_by_path_tricks(server: str,
                                                 record_property: pytest.RecordProperty
                                                 ) -> None:
    """Raw, unnormalised request paths (sent over a socket) never reach data without the token."""
    host, port = urlsplit(server).hostname, urlsplit(server).port
    assert host and port
    answers = {}
    for raw in RAW_PATHS:
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            connection.putrequest("GET", raw, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        answers[raw] = response.status
        assert response.status != 200 or b'"runs"' not in body, f"{raw} leaked the runs list"
        assert response.status < 500, f"{raw}: {response.status}"
    assert answers["/api/v1/runs/"] == 401 and answers["/api/%76%31/runs"] == 401
    record_property("detail", ", ".join(f"{p} {s}" for p, s in answers.items()))
