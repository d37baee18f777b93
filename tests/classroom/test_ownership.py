"""Who sees what, route by route: a student's run, sweep and upload, asked for by every
route of the app's own route table (REST and the websocket) as the student, a classmate,
their teacher, another teacher and that teacher's student. Only the student and their
teacher see them; to everyone else they do not exist (404, websocket 4404)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.classroom.conftest import API, Room
from tests.security.helpers import TOY_TRAINING, api_endpoints, fill, wait_for
from tests.security.test_token_everywhere import status_of

pytestmark = pytest.mark.slow
STRANGERS = ("bob", "other", "carol")


@pytest.fixture(scope="module")
def alices(room: Room) -> dict[str, str]:
    """Alice's trained run, her one-trial sweep and her uploaded table."""
    alice = room["alice"]
    run = alice.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                          "training": TOY_TRAINING})
    assert run.status_code == 201, run.text
    sweep = alice.post(f"{API}/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": TOY_TRAINING,
        "sweep": {"parameters": {"epochs": [1]}}})
    assert sweep.status_code == 201, sweep.text
    rows = "\n".join(f"{i % 7},{i % 3}" for i in range(40))
    upload = alice.post(f"{API}/datasets/csv/uploads", content=f"x,label\n{rows}\n",
                        headers={"content-type": "text/csv"})
    assert upload.status_code == 201, upload.text
    assert wait_for(alice, run.json()["id"])["status"] == "completed"
    for trial in sweep.json()["trials"]:
        wait_for(alice, trial["run_id"])
    return {"run_id": run.json()["id"], "sweep_id": sweep.json()["id"],
            "upload_id": upload.json()["upload_id"]}


def _owned_routes(room: Room) -> list[Any]:
    return [e for e in api_endpoints(room.app) if "{run_id}" in e.path or "{sweep_id}" in e.path]


def test_strangers_get_404_on_every_route_that_names_her_run_or_sweep(
        room: Room, alices: dict[str, str]) -> None:
    endpoints = _owned_routes(room)
    assert len(endpoints) >= 20 and any(e.method == "WS" for e in endpoints)
    values = {**alices, "fmt": "pytorch", "name": "x"}
    for stranger in STRANGERS:
        for endpoint in endpoints:
            url = fill(endpoint.path, values)
            status = status_of(room[stranger], endpoint, url)
            expected = 4404 if endpoint.method == "WS" else 404
            assert status == expected, f"{stranger}: {endpoint.method} {url} -> {status}"
    assert room["alice"].get(f"{API}/runs/{alices['run_id']}").status_code == 200


def test_she_and_her_teacher_reach_every_route(room: Room, alices: dict[str, str]) -> None:
    values = {**alices, "fmt": "pytorch", "name": "x"}
    for viewer in ("alice", "teacher"):
        seen = {}
        for endpoint in _owned_routes(room):
            if endpoint.method == "DELETE":
                continue
            status = status_of(room[viewer], endpoint, fill(endpoint.path, values))
            seen[f"{endpoint.method} {endpoint.path}"] = status
            assert status not in (401, 403, 4401, 4404) and status < 500, (viewer, endpoint)
        assert seen[f"WS {API}/runs/{{run_id}}/stream"] == 101
        assert seen[f"GET {API}/runs/{{run_id}}/metrics"] == 200
        assert seen[f"GET {API}/sweeps/{{sweep_id}}"] == 200
        # what strangers are told does not exist is there for them: 404 only where the
        # view does not apply to a toy MLP (no attention, no images...)
        missing = sorted(route for route, status in seen.items() if status == 404)
        assert len(missing) <= len(seen) // 3, missing


def test_lists_show_each_user_their_own(room: Room, alices: dict[str, str]) -> None:
    def run_ids(client: TestClient) -> set[str]:
        return {r["id"] for r in client.get(f"{API}/runs?limit=500").json()["runs"]}

    def sweep_ids(client: TestClient) -> set[str]:
        return {s["id"] for s in client.get(f"{API}/sweeps").json()["sweeps"]}

    assert alices["run_id"] in run_ids(room["alice"]) & run_ids(room["teacher"])
    assert alices["sweep_id"] in sweep_ids(room["alice"]) & sweep_ids(room["teacher"])
    for stranger in STRANGERS:
        assert alices["run_id"] not in run_ids(room[stranger])
        assert alices["sweep_id"] not in sweep_ids(room[stranger])
        uploads = room[stranger].get(f"{API}/datasets/csv/uploads").json()
        assert alices["upload_id"] not in str(uploads)
    assert alices["upload_id"] in str(room["alice"].get(f"{API}/datasets/csv/uploads").json())


def test_her_run_cannot_be_reached_through_a_body_either(room: Room,
                                                         alices: dict[str, str]) -> None:
    """A transfer from her run, or her run judged as a classmate's lesson experiment."""
    taken = room["bob"].post(f"{API}/runs", json={
        "model": {"preset": "toy-mlp"}, "training": TOY_TRAINING,
        "init_from": {"run_id": alices["run_id"]}})
    assert taken.status_code == 404
    judged = room["bob"].post(f"{API}/lessons/xor/results",
                              json={"runs": {"perceptron-on-xor": alices["run_id"]}})
    assert judged.status_code == 200
    assert all(result["run_id"] is None for result in judged.json())
    bobs_csv = room["bob"].post(f"{API}/runs", json={
        "model": {"input": {"shape": [1]}, "layers": [{"id": "out", "type": "dense",
                                                       "units": 3}]},
        "training": {"dataset": {"name": "csv", "options": {
            "upload_id": alices["upload_id"], "target": "label"}}, "epochs": 1}})
    assert bobs_csv.status_code == 422  # her table is not in his uploads


def test_her_teacher_inspects_a_run_on_her_own_uploaded_table(room: Room,
                                                              alices: dict[str, str]) -> None:
    """The run's data is read from her uploads, whoever looks at it."""
    run = room["alice"].post(f"{API}/runs", json={
        "model": {"input": {"shape": [1]}, "layers": [{"id": "out", "type": "dense",
                                                       "units": 3}]},
        "training": {"dataset": {"name": "csv", "options": {
            "upload_id": alices["upload_id"], "target": "label"}}, "epochs": 2,
            "device": "cpu"}})
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    assert wait_for(room["alice"], run_id)["status"] == "completed"
    seen = room["teacher"].get(f"{API}/runs/{run_id}/inspect/confusion")
    assert seen.status_code == 200, seen.text
    assert seen.json() == room["alice"].get(f"{API}/runs/{run_id}/inspect/confusion").json()
    assert room["bob"].get(f"{API}/runs/{run_id}/inspect/confusion").status_code == 404
