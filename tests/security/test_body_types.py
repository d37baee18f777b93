"""A body is taken only as the type its route declares: JSON routes answer `text/plain`,
form and multipart bodies (what a page may send cross-site without asking) with 415 and
a message naming the type to send; the CSV upload takes `text/csv` only. The Python
client sends each route's type."""

from __future__ import annotations

import json

import pytest

from app.client import LayerLab
from tests.security.helpers import API, Lab

SPEC = {"input": {"shape": [2]}, "layers": [{"id": "out", "type": "dense", "units": 2}]}
NO_RUN = "0123456789abcdef0123456789abcdef"
CSV = b"x,label\n1,a\n2,b\n3,a\n"
WRONG_TYPES = ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=b", "application/xml", None]


@pytest.mark.parametrize("content_type", WRONG_TYPES)
@pytest.mark.parametrize("path", ["/specs/validate", "/runs", "/specs/export/pytorch"])
def test_json_route_refuses_other_types(lab: Lab, path: str, content_type: str | None,
                                        record_property: pytest.RecordProperty) -> None:
    runs = len(lab.client.get(f"{API}/runs").json()["runs"])
    body = json.dumps({"model": SPEC} if path == "/runs" else SPEC).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = lab.client.post(f"{API}{path}", content=body, headers=headers)
    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert "application/json" in detail and "Content-Type" in detail
    assert len(lab.client.get(f"{API}/runs").json()["runs"]) == runs
    record_property("detail", f"{content_type or 'no type'} to {path}: 415")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "APPLICATION/JSON"])
def test_json_route_takes_json(lab: Lab, content_type: str) -> None:
    response = lab.client.post(f"{API}/specs/validate", content=json.dumps(SPEC).encode(),
                               headers={"content-type": content_type})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", [*WRONG_TYPES, "application/json"])
def test_upload_takes_only_csv(lab: Lab, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = lab.client.post(f"{API}/datasets/csv/uploads", content=CSV, headers=headers)
    assert response.status_code == 415, response.text
    assert "text/csv" in response.json()["detail"]
    ok = lab.client.post(f"{API}/datasets/csv/uploads", content=CSV,
                         headers={"content-type": "text/csv; charset=utf-8"})
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("action", ["stop", "pause", "resume"])
def test_bodyless_actions_need_no_type(lab: Lab, action: str) -> None:
    """Pause, resume and stop carry no body: no type is asked of them (404: no such run)."""
    response = lab.client.post(f"{API}/runs/{NO_RUN}/{action}",
                               headers={"content-type": "text/plain"})
    assert response.status_code == 404, response.text


def test_python_client_sends_each_routes_type(lab: Lab) -> None:
    lab_client = LayerLab(http=lab.client)
    upload_id = lab_client.upload_csv(CSV)
    assert (lab.home / "uploads" / f"{upload_id}.csv").read_bytes() == CSV
    assert lab_client.validate(SPEC)["layers"]
    assert upload_id in [u["upload_id"] for u in lab_client.uploads()["uploads"]]
    lab_client.delete_upload(upload_id)
    assert not (lab.home / "uploads" / f"{upload_id}.csv").exists()
