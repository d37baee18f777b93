"""Assignments: a teacher sets one on a preset with fields locked and criteria written
as lesson claims; students train, the locks hold through the API, submissions are
marked on the runs' own metrics, and the teacher's dashboard and CSV show who passed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.classroom.conftest import API, Room
from tests.security.helpers import wait_for

pytestmark = pytest.mark.slow
CIRCLE = {"dataset": {"name": "circle", "options": {"n_samples": 300}}, "epochs": 25,
          "batch_size": 32, "device": "cpu"}


@pytest.fixture(scope="module")
def assignment(room: Room) -> dict[str, Any]:
    made = room["teacher"].post(f"{API}/classes/{room.class_id}/assignments", json={
        "title": "Bend the boundary", "preset": "toy-mlp", "training": CIRCLE,
        "locked": ["training.dataset", "network.layers.out", "network.input"],
        "hidden": ["palette", "dataset"],
        "criteria": [{"metric": "val_accuracy", "op": "above", "value": 0.75}],
        "max_params": 200})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _run(room: Room, student: str, assignment: dict[str, Any], **training: Any) -> str:
    made = room[student].post(f"{API}/runs", json={
        "model": {"preset": "toy-mlp"}, "training": CIRCLE | training,
        "assignment_id": assignment["id"]})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_students_of_the_class_see_it_and_others_do_not(room: Room,
                                                        assignment: dict[str, Any]) -> None:
    assert assignment["hidden"] == ["palette", "dataset"]
    assert assignment["network"]["layers"][0]["id"] == "hidden1"
    assert assignment["training"]["dataset"]["options"]["n_samples"] == 300
    for student in ("alice", "bob"):
        listed = room[student].get(f"{API}/assignments").json()
        assert [a["id"] for a in listed] == [assignment["id"]]
    assert room["carol"].get(f"{API}/assignments").json() == []
    assert room["carol"].get(f"{API}/assignments/{assignment['id']}").status_code == 404
    refused = room["alice"].post(f"{API}/classes/{room.class_id}/assignments", json={
        "title": "mine", "preset": "toy-mlp"})
    assert refused.status_code == 403  # a student sets no assignments


def test_locked_fields_cannot_be_changed_through_the_api(room: Room,
                                                         assignment: dict[str, Any]) -> None:
    other_data = room["alice"].post(f"{API}/runs", json={
        "model": {"preset": "toy-mlp"}, "assignment_id": assignment["id"],
        "training": CIRCLE | {"dataset": {"name": "moons"}}})
    assert other_data.status_code == 422
    assert "training.dataset" in other_data.json()["detail"]
    wider = room["alice"].post(f"{API}/runs", json={
        "model": {"input": {"shape": [2]}, "layers": [
            {"id": "hidden1", "type": "dense", "units": 8, "activation": "tanh"},
            {"id": "out", "type": "dense", "units": 3}]},
        "training": CIRCLE, "assignment_id": assignment["id"]})
    assert wider.status_code == 422 and "network.layers.out" in wider.json()["detail"]
    # trained outside the assignment with its dataset changed: refused when handed in
    loose = room["alice"].post(f"{API}/runs", json={
        "model": {"preset": "toy-mlp"}, "training": CIRCLE | {
            "dataset": {"name": "circle", "options": {"n_samples": 200}}, "epochs": 1}})
    assert loose.status_code == 201
    handed = room["alice"].post(f"{API}/assignments/{assignment['id']}/submissions",
                                json={"run_id": loose.json()["id"]})
    assert handed.status_code == 422 and "training.dataset" in handed.json()["detail"]


def test_submissions_are_marked_and_the_dashboard_shows_who_passed(
        room: Room, assignment: dict[str, Any]) -> None:
    good = _run(room, "alice", assignment)
    poor = _run(room, "bob", assignment, epochs=1, optimizer={"name": "sgd", "lr": 1e-5})
    board = room["teacher"].get(f"{API}/assignments/{assignment['id']}/dashboard").json()
    assert {row["student"]: row["status"] for row in board["rows"]} == {
        "alice": "training", "bob": "training"}
    assert room["bob"].post(f"{API}/assignments/{assignment['id']}/submissions",
                            json={"run_id": good}).status_code == 404  # not his run
    assert room["teacher"].post(f"{API}/assignments/{assignment['id']}/submissions",
                                json={"run_id": good}).status_code == 403
    for student, run_id in (("alice", good), ("bob", poor)):
        handed = room[student].post(f"{API}/assignments/{assignment['id']}/submissions",
                                    json={"run_id": run_id})
        assert handed.status_code == 201, handed.text
        wait_for(room[student], run_id)
    marks = {s["student"]: s for s in room["teacher"].get(
        f"{API}/assignments/{assignment['id']}/submissions").json()}
    assert marks["alice"]["passed"] is True and marks["alice"]["score"] > 0.75, marks["alice"]
    assert marks["bob"]["passed"] is False and marks["bob"]["score"] < 0.75
    claims = [c["claim"] for c in marks["alice"]["criteria"]]
    assert claims == ["val_accuracy above 0.75", "parameters below 201"]
    assert marks["alice"]["criteria"][1]["measured"] == (2 + 1) * 8 + (8 + 1) * 8 + (8 + 1) * 2
    own = room["bob"].get(f"{API}/assignments/{assignment['id']}/submissions").json()
    assert [s["student"] for s in own] == ["bob"]

    board = room["teacher"].get(f"{API}/assignments/{assignment['id']}/dashboard").json()
    rows = {row["student"]: row for row in board["rows"]}
    assert rows["alice"]["status"] == "passed" and rows["alice"]["best_run"] == good
    assert rows["bob"]["status"] == "submitted" and rows["bob"]["passed"] is False
    assert rows["alice"]["last_activity"] is not None
    assert room["alice"].get(f"{API}/assignments/{assignment['id']}/dashboard").status_code == 403
    assert room["alice"].get(f"{API}/runs/{poor}").status_code == 404
    assert room["teacher"].get(f"{API}/runs/{poor}").status_code == 200  # opens any student's

    exported = room["teacher"].get(f"{API}/assignments/{assignment['id']}/marks.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(line["student"], line["status"], line["passed"]) for line in lines] == [
        ("alice", "passed", "true"), ("bob", "submitted", "false")]
