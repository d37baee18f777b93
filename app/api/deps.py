"""Dependency aliases shared by the routers."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError

from app.runs.inspection import SubjectCache
from app.runs.service import RunService
from app.runs.sweeps import SweepService
from app.settings import Settings
from app.spec import SpecLimits
from app.spec.lessons import LessonSpec
from app.spec.presets import Preset


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_limits(request: Request) -> SpecLimits:
    return get_settings(request).limits


def get_runs(request: Request) -> RunService:
    runs: RunService = request.app.state.runs
    return runs


def get_sweeps(request: Request) -> SweepService:
    sweeps: SweepService = request.app.state.sweeps
    return sweeps


def get_subjects(request: Request) -> SubjectCache:
    subjects: SubjectCache = request.app.state.subjects
    return subjects


def get_presets(request: Request) -> dict[str, Preset]:
    """Each preset's network and its own training settings, by name."""
    presets: dict[str, Preset] = request.app.state.presets
    return presets


def get_lessons(request: Request) -> dict[str, LessonSpec]:
    lessons: dict[str, LessonSpec] = request.app.state.lessons
    return lessons


async def json_body(request: Request) -> Any:
    """The request's body as JSON, for a route that validates it itself; malformed JSON is
    refused as FastAPI refuses it for a declared body (400, the handler in api/errors)."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except RecursionError:  # nested deeper than the parser goes
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", 0),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": "nested too deeply"}}],
                                     body=raw[:100]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.reason
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", position),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": reason}}], body=raw) from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, read up to `limit` bytes: more is a 413 before it is all read."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the upload is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


LimitsDep = Annotated[SpecLimits, Depends(get_limits)]
JsonBody = Annotated[Any, Depends(json_body)]
PresetsDep = Annotated[dict[str, Preset], Depends(get_presets)]
LessonsDep = Annotated[dict[str, LessonSpec], Depends(get_lessons)]
RunsDep = Annotated[RunService, Depends(get_runs)]
SweepsDep = Annotated[SweepService, Depends(get_sweeps)]
SubjectsDep = Annotated[SubjectCache, Depends(get_subjects)]
