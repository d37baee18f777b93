"""The schemathesis run (tests/api/test_schema_fuzz.py) reaches every API operation; the
one route OpenAPI cannot describe, the run stream websocket, gets a light fuzz here."""

from __future__ import annotations

import string

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.security.helpers import API, Lab, api_endpoints

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_fuzzing_covers_every_api_operation(lab: Lab,
                                            record_property: pytest.RecordProperty) -> None:
    """Operations schemathesis generates cases for == operations in the OpenAPI schema ==
    the app's HTTP routes under /api/v1 (as test_schema_fuzz.py loads them)."""
    document = lab.client.get("/openapi.json").json()
    operations = [result.ok() for result in
                  schemathesis.openapi.from_dict(document).get_all_operations()]
    fuzzed = {(operation.method.upper(), operation.path) for operation in operations}
    published = {(method.upper(), path) for path, item in document["paths"].items()
                 for method in item if method in HTTP_METHODS}
    routes = {(e.method, e.path) for e in api_endpoints(lab.app)
              if e.method not in ("WS", "HEAD")}
    assert len(operations) == len(fuzzed), "an operation is listed twice"
    assert fuzzed == published, published ^ fuzzed
    assert published == routes, f"not in the schema: {routes - published}; " \
                                f"not routes: {published - routes}"
    sockets = sorted(e.path for e in api_endpoints(lab.app) if e.method == "WS")
    assert sockets == [f"{API}/runs/{{run_id}}/stream"], "a new websocket: fuzz it below too"
    record_property("detail", f"{len(fuzzed)} operations fuzzed = {len(routes)} HTTP routes; "
                              f"websockets outside OpenAPI: {len(sockets)} (fuzzed here)")


SEGMENT = st.text(alphabet=string.printable.strip() + "名🚀é", min_size=1, max_size=40)
HEADER = st.text(alphabet=string.ascii_letters + string.digits + ":/.-@[]%", max_size=40)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(run_id=SEGMENT, origin=st.none() | HEADER, protocol=st.none() | HEADER)
def test_stream_websocket_handshake_fuzz(lab: Lab, run_id: str, origin: str | None,
                                         protocol: str | None) -> None:
    """Random run ids, Origin and subprotocol headers: the stream closes with a known code."""
    headers = {k: v for k, v in (("origin", origin), ("sec-websocket-protocol", protocol))
               if v}
    url = f"{API}/runs/{run_id}/stream"
    try:
        with lab.client.websocket_connect(url, headers=headers) as ws:
            ws.receive_json()
            code = 101
    except WebSocketDisconnect as closed:
        code = closed.code
    except WebSocketDenialResponse as denied:
        code = denied.status_code
    assert code in (1000, 4403, 4404), (url, headers, code)
