"""Hostile request bodies against a real server: deeply nested JSON and 100 MB bodies
(declared, and streamed chunked without a length) get a 4xx, and the server lives on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.security.helpers import API, AUTH, server_alive

DEPTH = 100_000
HUGE = 100 * 2**20
CHUNK = 64 * 1024
NO_RUN = "0123456789abcdef0123456789abcdef"


def _nested(kind: str, depth: int) -> str:
    return "[" * depth + "]" * depth if kind == "array" else '{"a":' * depth + "1" + "}" * depth


def _bodies(deep: str) -> dict[str, tuple[str, str]]:
    """Where a deep value can sit in each JSON endpoint: (path, body)."""
    return {
        "validate:whole": (f"{API}/specs/validate", deep),
        "validate:layers": (f"{API}/specs/validate",
                            '{"input":{"shape":[2]},"layers":' + deep + "}"),
        "validate:field": (f"{API}/specs/validate", '{"input":{"shape":[2]},"layers":[{"id":'
                           '"a","type":"dense","units":' + deep + "}]}"),
        "export:whole": (f"{API}/specs/export/pytorch", deep),
        "runs:whole": (f"{API}/runs", deep),
        "runs:options": (f"{API}/runs", '{"model":{"preset":"toy-mlp"},"training":{"dataset":'
                         '{"name":"xor","options":{"x":' + deep + "}}}}"),
        "predict:whole": (f"{API}/runs/{NO_RUN}/inspect/predict", deep),
        "predict:array": (f"{API}/runs/{NO_RUN}/inspect/predict", '{"array":' + deep + "}"),
    }


@pytest.mark.parametrize("depth", [DEPTH, 950, 500])
@pytest.mark.parametrize("kind", ["array", "object"])
def test_deeply_nested_json_is_a_4xx(server: str, kind: str, depth: int,
                                     record_property: pytest.RecordProperty) -> None:
    """Nested arrays/objects (deep past and just under the parser's recursion limit) -> 400/422."""
    deep = _nested(kind, depth)
    statuses = {}
    with httpx.Client(base_url=server, headers=AUTH | {"content-type": "application/json"},
                      timeout=30) as client:
        for name, (path, body) in _bodies(deep).items():
            response = client.post(path, content=body)
            statuses[name] = response.status_code
            assert response.status_code in (400, 422), (name, response.status_code,
                                                        response.text[:300])
    assert server_alive(server)
    record_property("detail", f"{len(deep):,} bytes: " + ", ".join(
        f"{name} {status}" for name, status in statuses.items()))


def _stream(total: int, sent: list[int]) -> Iterator[bytes]:
    block = b"a" * CHUNK
    while sent[0] < total:
        sent[0] += CHUNK
        yield block


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", [f"{API}/specs/validate", f"{API}/datasets/csv/uploads",
                                  f"{API}/runs/{NO_RUN}/inspect/predict"])
def test_100_mb_body_is_refused_early(server: str, path: str, declared: bool,
                                      record_property: pytest.RecordProperty) -> None:
    """A 100 MB body gets 413 in well under a second of upload, read no further than the limit."""
    sent = [0]
    body_type = "text/csv" if path.endswith("/uploads") else "application/json"
    headers = AUTH | {"content-type": body_type}
    if declared:
        headers["content-length"] = str(HUGE)
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{server}{path}", content=_stream(HUGE, sent), headers=headers)
    took = time.monotonic() - started
    assert response.status_code == 413, response.text[:300]
    assert "limit" in response.json()["detail"]
    assert took < 10, f"{took:.1f} s"
    # The client stops once the server has answered and closed: far short of 100 MB.
    assert sent[0] < HUGE // 4, f"the server read {sent[0]:,} bytes before refusing"
    assert server_alive(server)
    record_property("detail", f"413 in {took:.2f} s after {sent[0] / 2**20:.1f} MiB sent")
