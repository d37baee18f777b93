"""Signing in and out, who I am, API tokens for scripts, accounts made by a teacher, and
lesson progress kept per user. Only on a server with accounts (404 without)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.login_limit import LoginThrottle
from app.api.schemas import ErrorOut, Responses
from app.api.viewer import SESSION_COOKIE, SignedIn, get_classroom, guard_path
from app.classroom.models import USER_NAME, Me, Role, UserOut
from app.classroom.service import SESSION_DAYS, Classroom, ClassroomError, Forbidden, NotFound

ClassroomDep = Annotated[Classroom, Depends(get_classroom)]
NO_ACCOUNTS: Responses = {404: {"model": ErrorOut, "description": "This server has no accounts."}}
MAX_PROGRESS = 16_384  # bytes of JSON a lesson's progress may take
router = APIRouter(tags=["accounts"])
guarded = APIRouter(tags=["accounts"], dependencies=[Depends(guard_path)], responses={
    401: {"model": ErrorOut, "description": "Not signed in."}, **NO_ACCOUNTS})


class SignIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewUser(BaseModel):
    name: str = Field(pattern=USER_NAME)
    password: str = Field(min_length=8, max_length=1024)
    role: Role = "student"


class NewPassword(BaseModel):
    password: str = Field(min_length=8, max_length=1024)


class TokenIn(BaseModel):
    label: str = Field(default="script", min_length=1, max_length=64)


class TokenOut(BaseModel):
    token: str = Field(description="Shown this once: send it as 'Authorization: Bearer "
                                   "<token>'. Only its digest is kept.")
    label: str


@router.post("/session", responses={
    401: {"model": ErrorOut, "description": "Wrong name or password."},
    429: {"model": ErrorOut, "description": "Too many failed sign-ins from this address."},
    **NO_ACCOUNTS})
async def sign_in(body: SignIn, request: Request, response: Response,
                  classroom: ClassroomDep) -> Me:
    """Sign in: the session is kept in an http-only cookie for the API and the
    websockets; the answer's `csrf` goes with every change the browser sends. Failed
    sign-ins are counted per address: past the limit the answer is 429 with Retry-After."""
    if not await run_in_threadpool(classroom.enabled):
        raise HTTPException(404, "this server has no accounts")
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else ""
    if wait := throttle.retry_after(client):
        raise HTTPException(429, "too many failed sign-ins: try again later",
                            headers={"Retry-After": str(wait)})
    found = await run_in_threadpool(classroom.sign_in, body.name, body.password)
    if found is None:
        throttle.failed(client)
        raise HTTPException(401, "wrong name or password")
    user, key, csrf = found
    response.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=SESSION_DAYS * 86400)
    return Me(id=user.id, name=user.name, role=user.role, csrf=csrf)


@guarded.delete("/session", status_code=204)
def sign_out(request: Request, response: Response, viewer: SignedIn,
             classroom: ClassroomDep) -> None:
    """Sign out: the session ends on the server, and its cookie is cleared."""
    classroom.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE)


@guarded.get("/me")
def me(viewer: SignedIn) -> Me:
    """Who is signed in, and the session's CSRF token."""
    return Me(id=viewer.user.id, name=viewer.user.name, role=viewer.user.role,
              csrf=viewer.csrf)


@guarded.post("/me/tokens", status_code=201)
def create_token(body: TokenIn, viewer: SignedIn, classroom: ClassroomDep) -> TokenOut:
    """A new API token for scripts (the Python client, the CLI), shown once."""
    return TokenOut(token=classroom.new_token(viewer.user, body.label), label=body.label)


@guarded.put("/me/password", status_code=204)
def change_password(body: NewPassword, viewer: SignedIn, classroom: ClassroomDep) -> None:
    """Set a new password (every session of the user ends, this one too)."""
    classroom.set_password(viewer.user, body.password)


@guarded.post("/users", status_code=201, responses={
    403: {"model": ErrorOut, "description": "Only a teacher makes accounts."},
    422: {"model": ErrorOut, "description": "A name in use, or a password too short."}})
def create_user(body: NewUser, viewer: SignedIn, classroom: ClassroomDep) -> UserOut:
    """A teacher makes an account (a student who then joins with the invite code, or
    another teacher)."""
    if viewer.user.role != "teacher":
        raise HTTPException(403, "only a teacher makes accounts")
    try:
        user = classroom.create_user(body.name, body.password, body.role)
    except ClassroomError as exc:
        raise HTTPException(422, str(exc)) from None
    return UserOut(id=user.id, name=user.name, role=user.role)


@guarded.put("/users/{name}/password", status_code=204, responses={
    404: {"model": ErrorOut, "description": "No such student in your classes."}})
def reset_password(name: str, body: NewPassword, viewer: SignedIn,
                   classroom: ClassroomDep) -> None:
    """A teacher sets a new password for a student of one of their classes."""
    try:
        if viewer.user.role != "teacher":
            raise Forbidden("only a teacher resets passwords")
        classroom.reset_password(viewer.user, name, body.password)
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@guarded.get("/me/progress")
def lesson_progress(viewer: SignedIn, classroom: ClassroomDep) -> dict[str, dict[str, Any]]:
    """Where the user is in each lesson they opened (the runs of its experiments), by
    lesson id, as the browser last saved it."""
    return classroom.progress(viewer.user)


@guarded.put("/me/progress/{lesson_id}", status_code=204, responses={
    404: {"model": ErrorOut, "description": "No such lesson."}})
def save_lesson_progress(lesson_id: str, body: dict[str, Any], request: Request,
                         viewer: SignedIn, classroom: ClassroomDep) -> None:
    """Keep where the user is in a lesson (at most 16 KiB of JSON)."""
    if lesson_id not in request.app.state.lessons:
        raise HTTPException(404, f"no lesson {lesson_id!r}")
    if len(json.dumps(body)) > MAX_PROGRESS:
        raise HTTPException(422, "a lesson's progress is at most 16 KiB")
    classroom.save_progress(viewer.user, lesson_id, body)
