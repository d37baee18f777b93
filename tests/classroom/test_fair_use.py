"""Fair use through the API: two students' bursts share the queue in turns, each with at
most runs_per_user (2) training at once, and a user past their GPU minutes is refused new
runs while a classmate is not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.store.sql import SqlRunStore
from tests.classroom.conftest import API, Room
from tests.security.helpers import TOY_TRAINING, wait_for
from tests.store.factories import T0, make_run

pytestmark = pytest.mark.slow
LONG = {"dataset": {"name": "xor", "options": {"n_samples": 100}}, "epochs": 10_000,
        "batch_size": 32, "device": "cpu"}


def _post(client: TestClient, training: dict[str, Any]) -> str:
    made = client.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                            "training": training})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _end(client: TestClient, run_id: str) -> None:
    client.post(f"{API}/runs/{run_id}/stop")  # 409 once it has ended: fine
    wait_for(client, run_id)


def test_two_students_bursts_queue_fairly(room: Room) -> None:
    alice, bob = room["alice"], room["bob"]
    owners: dict[str, TestClient] = {}

    def post(client: TestClient) -> str:
        run_id = _post(client, LONG)
        owners[run_id] = client
        return run_id

    try:
        a1, a2, a3 = (post(alice) for _ in range(3))
        for run_id in (a1, a2):  # both slots hers before bob asks: his can't overtake them
            wait_for(alice, run_id, ("running",))
        b1, b2 = (post(bob) for _ in range(2))

        def positions() -> list[int | None]:
            return [owners[r].get(f"{API}/runs/{r}").json()["queue_position"]
                    for r in (a3, b1, b2)]

        # bob has none placed and alice two (her runs_per_user): both of his go first
        assert positions() == [3, 1, 2]
        assert alice.post(f"{API}/runs/{a1}/stop").status_code == 202
        wait_for(bob, b1, ("running",))
        assert alice.get(f"{API}/runs/{a3}").json()["status"] == "queued"
        assert positions() == [1, None, 2]  # one placed each: her turn is next
    finally:
        for run_id, client in reversed(owners.items()):  # the queued ones first
            _end(client, run_id)


def test_gpu_time_is_limited_per_user(room: Room) -> None:
    settings = room.app.state.settings
    store = SqlRunStore(settings.store_url)
    try:  # two minutes on a GPU, before this server
        store.create_run(make_run("alices-gpu-run", status="completed").model_copy(update={
            "device": "cuda:0", "started_at": T0, "finished_at": T0 + timedelta(minutes=2),
            "owner": room.ids["alice"]}))
    finally:
        store.close()
    # by hand: monkeypatch's undo would delete it (State keeps values outside __dict__)
    room.app.state.settings = settings.model_copy(update={"gpu_minutes_per_user": 1})
    try:
        refused = room["alice"].post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                                          "training": TOY_TRAINING})
        assert refused.status_code == 429
        assert "used 2 of your 1 GPU minutes" in refused.json()["detail"]
        sweep = room["alice"].post(f"{API}/sweeps", json={
            "model": {"preset": "toy-mlp"}, "training": TOY_TRAINING,
            "sweep": {"parameters": {"epochs": [1]}}})
        assert sweep.status_code == 429  # nor through a sweep
        _end(room["bob"], _post(room["bob"], TOY_TRAINING))
        # deleting the run gives none of its GPU time back
        assert room["alice"].delete(f"{API}/runs/alices-gpu-run").status_code == 204
        again = room["alice"].post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                                        "training": TOY_TRAINING})
        assert again.status_code == 429
    finally:
        room.app.state.settings = settings
