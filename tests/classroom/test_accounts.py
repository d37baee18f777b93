"""Accounts: signing in with a password (a session cookie and its CSRF token), API
tokens, the throttle on failed sign-ins, passwords reset by a teacher, lesson progress
per user, and a server without accounts that stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from app.api.login_limit import LoginThrottle
from app.api.viewer import SESSION_COOKIE
from app.classroom.passwords import verify_password
from app.cli.main import cli
from app.cli.users import accounts_exist
from app.settings import Settings
from app.store import get_store
from tests.classroom.conftest import API, PASSWORD, Room


def _browser(room: Room, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    browser = TestClient(room.app)
    signed = browser.post(f"{API}/session", json={"name": name, "password": password})
    assert signed.status_code == 200, signed.text
    return browser, signed.json()["csrf"]


def test_a_session_opens_the_api_and_changes_need_its_csrf_token(room: Room) -> None:
    browser, csrf = _browser(room, "teacher")
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie and len(cookie) >= 40
    me = browser.get(f"{API}/me").json()
    assert (me["name"], me["role"], me["csrf"]) == ("teacher", "teacher", csrf)
    assert browser.get(f"{API}/runs").status_code == 200
    refused = browser.post(f"{API}/classes", json={"name": "no token"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = browser.post(f"{API}/classes", json={"name": "x"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    made = browser.post(f"{API}/classes", json={"name": "With token"},
                        headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    assert browser.delete(f"{API}/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get(f"{API}/me").status_code == 401


def test_nobody_is_let_in_without_a_valid_session_or_token(room: Room) -> None:
    assert room.anon.get(f"{API}/health").status_code == 200
    for headers in ({}, {"Authorization": "Bearer ll_not-a-token"},
                    {"Cookie": f"{SESSION_COOKIE}=forged"}):
        answer = room.anon.get(f"{API}/runs", headers=headers)
        assert answer.status_code == 401, headers
        assert "sign in" in answer.json()["detail"]
    with pytest.raises(WebSocketDisconnect) as closed, \
            room.anon.websocket_connect(f"{API}/runs/{'0' * 32}/stream"):
        pass
    assert closed.value.code == 4401
    wrong = room.anon.post(f"{API}/session", json={"name": "alice", "password": "wrong-one"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong name or password"
    unknown = room.anon.post(f"{API}/session", json={"name": "nobody", "password": PASSWORD})
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_failed_sign_ins_are_throttled(room: Room) -> None:
    room.app.state.login_throttle = LoginThrottle(max_failures=3)
    try:
        for _ in range(3):
            assert room.anon.post(f"{API}/session", json={
                "name": "alice", "password": "guess-guess"}).status_code == 401
        blocked = room.anon.post(f"{API}/session", json={"name": "alice", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    finally:
        room.app.state.login_throttle = LoginThrottle()


def test_a_teacher_resets_only_their_own_students_passwords(room: Room) -> None:
    teacher = room["teacher"]
    assert teacher.put(f"{API}/users/carol/password",
                       json={"password": "new password 1"}).status_code == 404
    assert room["alice"].put(f"{API}/users/bob/password",
                             json={"password": "new password 1"}).status_code == 403
    assert teacher.put(f"{API}/users/bob/password",
                       json={"password": "new password 1"}).status_code == 204
    _browser(room, "bob", "new password 1")
    # a reset signs him out everywhere: his API token went with his old password
    assert room["bob"].get(f"{API}/me").status_code == 401
    assert teacher.put(f"{API}/users/bob/password",
                       json={"password": PASSWORD}).status_code == 204
    classroom = room.app.state.classroom
    token = classroom.new_token(classroom.store.user_named("bob"), "tests")
    room["bob"].headers["Authorization"] = f"Bearer {token}"


def test_tokens_are_shown_once_and_kept_as_digests(room: Room) -> None:
    made = room["alice"].post(f"{API}/me/tokens", json={"label": "notebook"})
    assert made.status_code == 201
    token = made.json()["token"]
    scripted = TestClient(room.app, headers={"Authorization": f"Bearer {token}"})
    assert scripted.get(f"{API}/me").json()["name"] == "alice"
    assert scripted.get(f"{API}/me").json()["csrf"] is None
    assert scripted.post(f"{API}/me/tokens", json={}).status_code == 201  # no CSRF for tokens
    settings = room.app.state.settings
    store = get_store(settings.store_url)
    try:
        with store.engine.connect() as connection:  # type: ignore[attr-defined]
            kept = connection.exec_driver_sql("SELECT key_hash FROM api_tokens").all()
            hashes = connection.exec_driver_sql("SELECT password_hash FROM users").all()
    finally:
        store.close()
    assert all(token not in row[0] for row in kept)
    assert all(row[0].startswith("$argon2id$") for row in hashes)
    assert verify_password(hashes[0][0], PASSWORD)


def test_lesson_progress_is_kept_per_user(room: Room) -> None:
    state = {"runs": {"relu": "abc"}, "done": ["sigmoid"]}
    assert room["alice"].put(f"{API}/me/progress/xor", json=state).status_code == 204
    assert room["alice"].get(f"{API}/me/progress").json() == {"xor": state}
    assert room["bob"].get(f"{API}/me/progress").json() == {}
    assert room["alice"].put(f"{API}/me/progress/no-such-lesson", json={}).status_code == 404
    big = {"x": "y" * 20_000}
    assert room["alice"].put(f"{API}/me/progress/xor", json=big).status_code == 422


def test_without_accounts_nothing_changes(client: TestClient) -> None:
    """The default server: no sign-in, and the account routes say it has none."""
    assert client.get(f"{API}/runs").status_code == 200
    assert client.get(f"{API}/me").status_code == 404
    assert client.post(f"{API}/session", json={"name": "a", "password": "b"}).status_code == 404
    assert client.get(f"{API}/classes").status_code == 404


def test_the_cli_makes_the_first_account(tmp_path: pytest.TempPathFactory,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    assert not accounts_exist(Settings())
    assert not list(Path(str(tmp_path)).iterdir())  # asking made no database
    runner = CliRunner()
    made = runner.invoke(cli, ["users", "create", "--teacher", "ada", "--password-stdin"],
                         input="long enough password\n")
    assert made.exit_code == 0, made.output
    assert "accounts are on" in made.output
    again = runner.invoke(cli, ["users", "create", "ada", "--password-stdin"],
                          input="long enough password\n")
    assert again.exit_code == 2 and "already exists" in again.output
    short = runner.invoke(cli, ["users", "create", "bea", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output
    assert accounts_exist(Settings())  # so `serve` may bind beyond the loopback
    token = runner.invoke(cli, ["users", "token", "ada"])
    assert token.exit_code == 0 and token.output.strip().startswith("ll_")
