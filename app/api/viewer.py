"""Who is asking, and whether they may: on a server with accounts every API request and
websocket names its user (a session cookie, or `Authorization: Bearer` with a user's
API token), and a run or sweep in its path must be one the user sees (else 404, as for
one that does not exist). Without accounts, nothing here applies.

A browser's POST, PUT, PATCH and DELETE also carry the session's CSRF token in the
X-CSRF-Token header: the cookie alone is not enough to change anything."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, WebSocketException
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from app.classroom.models import UserRecord
from app.classroom.service import Classroom
from app.datasets import use_request_uploads, user_uploads
from app.runs.run_states import RunNotFound
from app.runs.service import RunService
from app.runs.sweeps import SweepNotFound, SweepService
from app.settings import Settings

SESSION_COOKIE = "layerlab_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WS_UNAUTHORIZED, WS_NOT_FOUND = 4401, 4404


@dataclass(frozen=True)
class Viewer:
    user: UserRecord
    csrf: str | None  # the session's; None when signed in with an API token


def get_classroom(conn: HTTPConnection) -> Classroom:
    classroom: Classroom = conn.app.state.classroom
    return classroom


def _identify(classroom: Classroom, conn: HTTPConnection) -> Viewer | None:
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        user = classroom.token_user(token.strip())
        return None if user is None else Viewer(user, None)
    found = classroom.session(conn.cookies.get(SESSION_COOKIE, ""))
    return None if found is None else Viewer(*found)


def _refuse(conn: HTTPConnection, status: int, detail: str) -> Exception:
    if conn.scope["type"] == "websocket":
        return WebSocketException(WS_UNAUTHORIZED if status == 401 else WS_NOT_FOUND, detail)
    return HTTPException(status, detail)


async def optional_viewer(conn: HTTPConnection) -> Viewer | None:
    """The signed-in user, or None on a server without accounts; 401 on one with them
    when the request names nobody (or a session or token that is not valid), 403 for a
    browser's change without its CSRF token. The user's uploads are theirs alone from
    here on."""
    classroom = get_classroom(conn)
    if not await run_in_threadpool(classroom.enabled):
        return None
    viewer = await run_in_threadpool(_identify, classroom, conn)
    if viewer is None:
        raise _refuse(conn, 401, "sign in first: a session (POST /api/v1/session) or "
                                 "'Authorization: Bearer <your API token>'")
    if (viewer.csrf is not None and conn.scope["type"] == "http"
            and conn.scope["method"] in UNSAFE_METHODS
            and not secrets.compare_digest(conn.headers.get(CSRF_HEADER, ""), viewer.csrf)):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header (GET /api/v1/me "
                                 "gives the session's)")
    settings: Settings = conn.app.state.settings
    use_request_uploads(user_uploads(settings.uploads_dir, viewer.user.id))
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]


async def signed_in(viewer: OptionalViewer) -> Viewer:
    """The signed-in user; 404 on a server without accounts (it has no users)."""
    if viewer is None:
        raise HTTPException(404, "this server has no accounts (layerlab users create "
                                 "--teacher NAME turns them on)")
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]


async def guard_path(conn: HTTPConnection, viewer: OptionalViewer) -> None:
    """A run or sweep named in the path must be one the viewer sees: anyone else's is
    answered as if it did not exist."""
    if viewer is None:
        return
    classroom = get_classroom(conn)
    run_id, sweep_id = conn.path_params.get("run_id"), conn.path_params.get("sweep_id")
    if run_id is not None:
        runs: RunService = conn.app.state.runs
        try:
            run = await run_in_threadpool(runs.get, run_id)
        except RunNotFound:
            return  # the route answers its own 404
        if not await run_in_threadpool(classroom.sees, viewer.user, run.owner):
            if conn.scope["type"] == "websocket":
                raise WebSocketException(WS_NOT_FOUND, "no such run")
            raise RunNotFound(run_id)
        if run.owner is not None and run.owner != viewer.user.id:
            # a teacher inspecting a student's run reads the student's uploaded data
            settings: Settings = conn.app.state.settings
            use_request_uploads(user_uploads(settings.uploads_dir, run.owner))
    if sweep_id is not None:
        sweeps: SweepService = conn.app.state.sweeps
        try:
            sweep = await run_in_threadpool(sweeps.get, sweep_id)
        except SweepNotFound:
            return
        if not await run_in_threadpool(classroom.sees, viewer.user, sweep.owner):
            raise SweepNotFound(sweep_id)


def owner_of(viewer: Viewer | None) -> str | None:
    return None if viewer is None else viewer.user.id


def visible(conn: HTTPConnection, viewer: Viewer | None, owner: str | None) -> bool:
    """Whether a thing of `owner` (a run named in a body: a transfer's source, a
    lesson's run) is the viewer's to see."""
    return viewer is None or get_classroom(conn).sees(viewer.user, owner)


def owners_seen(conn: HTTPConnection, viewer: Viewer | None) -> list[str] | None:
    """The users whose runs and sweeps the viewer lists; None: everyone's."""
    return None if viewer is None else get_classroom(conn).visible_owners(viewer.user)
