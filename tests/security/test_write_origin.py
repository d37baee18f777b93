"""A page on another site cannot change the server: every POST, PUT, PATCH and DELETE whose
Origin is not the server's own (or LAYERLAB_ALLOWED_ORIGINS) is 403 and changes nothing,
whatever its body type. Scripts, which send no Origin, and the server's own pages pass."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.security.helpers import ALLOWED_ORIGIN, API, AUTH, TOY_TRAINING, Lab

FOREIGN = ["http://evil.example", "null", "https://testserver", "http://testserver.evil.example",
           "https://allowed.example.evil"]
CSV = b"x,label\n1,a\n2,b\n3,a\n"
SIMPLE_BODIES = {  # what a page may send anywhere without asking the server first
    "text/plain": ("text/plain", CSV),
    "form": ("application/x-www-form-urlencoded", b"x=1"),
    "multipart": ("multipart/form-data; boundary=b",
                  b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b--\r\n'),
}


def _uploads(home: Path) -> set[str]:
    folder = home / "uploads"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.mark.parametrize("body", SIMPLE_BODIES)
@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_page_cannot_upload(lab: Lab, origin: str, body: str) -> None:
    content_type, data = SIMPLE_BODIES[body]
    before = _uploads(lab.home)
    response = lab.client.post(f"{API}/datasets/csv/uploads", content=data,
                               headers={"origin": origin, "content-type": content_type})
    assert response.status_code == 403, response.text
    assert "LAYERLAB_ALLOWED_ORIGINS" in response.json()["detail"]
    assert _uploads(lab.home) == before


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_page_cannot_create_stop_or_delete(lab: Lab, run: str, origin: str,
                                                   record_property: pytest.RecordProperty
                                                   ) -> None:
    """Creating, pausing, resuming, deleting a run and logging in are all refused."""
    count = len(lab.client.get(f"{API}/runs").json()["runs"])
    headers = {"origin": origin}
    answers = [
        lab.client.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                             "training": TOY_TRAINING}, headers=headers),
        lab.client.post(f"{API}/runs", content=b'{"model": {"preset": "toy-mlp"}}',
                        headers=headers | {"content-type": "text/plain"}),
        lab.client.post(f"{API}/runs/{run}/resume", headers=headers),
        lab.client.delete(f"{API}/runs/{run}", headers=headers),
        lab.anon.post("/login", data={"token": "x" * 40}, headers=headers),
    ]
    assert [a.status_code for a in answers] == [403] * len(answers)
    assert len(lab.client.get(f"{API}/runs").json()["runs"]) == count
    assert lab.client.get(f"{API}/runs/{run}").json()["status"] == "paused"
    record_property("detail", f"Origin {origin}: {len(answers)} writes 403, nothing changed")


@pytest.mark.parametrize("origin", [None, "http://testserver", "HTTP://TestServer",
                                    ALLOWED_ORIGIN])
def test_own_page_allowed_origin_and_scripts_may_upload(lab: Lab, origin: str | None) -> None:
    headers = {"content-type": "text/csv"} | ({"origin": origin} if origin else {})
    response = lab.client.post(f"{API}/datasets/csv/uploads", content=CSV, headers=headers)
    assert response.status_code == 201, response.text
    assert f"{response.json()['upload_id']}.csv" in _uploads(lab.home)


def test_reads_from_any_origin_still_answer(lab: Lab) -> None:
    """Only writes are checked: a GET changes nothing (and CORS keeps its answer from a
    foreign page)."""
    response = lab.client.get(f"{API}/layers", headers={"origin": "http://evil.example"})
    assert response.status_code == 200


def test_real_server_refuses_60_foreign_uploads(server: str,
                                                record_property: pytest.RecordProperty) -> None:
    """60 cross-site 1 MiB `text/plain` uploads over a socket: every one 403, none stored."""
    body = b"a,b\n" + b"1,2\n" * (2**20 // 4 - 2)
    codes = []
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        for _ in range(60):
            codes.append(client.post(f"{server}{API}/datasets/csv/uploads", content=body,
                                     headers=AUTH | {"origin": "http://evil.example",
                                                     "content-type": "text/plain"}).status_code)
        listed = client.get(f"{server}{API}/datasets/csv/uploads", headers=AUTH).json()
    took = time.monotonic() - started
    assert codes == [403] * 60
    assert listed["uploads"] == [] and listed["used_bytes"] == 0
    record_property("detail", f"60 x 1 MiB foreign uploads: 60 x 403, 0 bytes stored "
                              f"({took:.2f} s)")
