"""One server with accounts for the classroom's tests: a teacher with a class of two
students, and another teacher with a class of one, each signed in with an API token.
Users are made through the classroom service, as `layerlab users create` makes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import create_app
from app.classroom.service import Classroom
from app.settings import Settings

API = "/api/v1"
PASSWORD = "correct horse battery"


@dataclass
class Room:
    app: FastAPI
    anon: TestClient
    users: dict[str, TestClient]  # by name: teacher, alice, bob (teacher's), other, carol
    ids: dict[str, str]
    class_id: str
    invite: str

    def __getitem__(self, name: str) -> TestClient:
        return self.users[name]


@pytest.fixture(scope="package")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    settings = Settings(home=tmp_path_factory.mktemp("classroom-home"),
                        allowed_hosts=["testserver"], runs_per_user=2)
    app = create_app(settings)
    with TestClient(app) as anon:
        classroom: Classroom = app.state.classroom
        ids, users = {}, {}
        for name, role in (("teacher", "teacher"), ("alice", "student"), ("bob", "student"),
                           ("other", "teacher"), ("carol", "student")):
            user = classroom.create_user(name, PASSWORD, role)  # type: ignore[arg-type]
            ids[name] = user.id
            token = classroom.new_token(user, "tests")
            users[name] = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        made = users["teacher"].post(f"{API}/classes", json={"name": "Deep learning 101"})
        assert made.status_code == 201, made.text
        for student in ("alice", "bob"):
            joined = users[student].post(f"{API}/classes/join",
                                         json={"code": made.json()["invite_code"]})
            assert joined.status_code == 200, joined.text
        elsewhere = users["other"].post(f"{API}/classes", json={"name": "Another class"})
        users["carol"].post(f"{API}/classes/join", json={"code": elsewhere.json()["invite_code"]})
        yield Room(app, anon, users, ids, made.json()["id"], made.json()["invite_code"])
