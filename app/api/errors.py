"""Errors are answers: every 4xx names the field or layer and says what to change."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from safetensors import SafetensorError

from app.datasets.base import DatasetError
from app.inspect import InspectError
from app.runs.origins import OriginError
from app.runs.service import RunNotFound, RunStateError
from app.runs.sweeps import SweepNotFound
from app.spec import SpecError, SpecIssue
from app.spec.errors import issues_from_errors
from app.spec.sweep import SweepError
from app.store.base import StoreUnavailable
from app.train.tasks import TaskError


def error_response(status: int, detail: str, issues: list[SpecIssue] | None = None) -> JSONResponse:
    errors = [issue.to_dict() for issue in issues or []]
    return JSONResponse({"detail": detail, "errors": errors}, status_code=status)


async def _spec_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SpecError)
    return error_response(422, "the network spec is invalid", exc.issues)


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if loc[:1] == ["body"]:
            loc = loc[1:]
        errors.append({**err, "loc": tuple(loc)})
    for err in errors:
        if err.get("type") == "json_invalid":
            where = err["loc"][0] if err["loc"] else "?"
            reason = (err.get("ctx") or {}).get("error", "malformed")
            return error_response(400, f"the request body is not valid JSON: {reason} "
                                       f"at character {where}")
    return error_response(422, "the request is invalid", issues_from_errors(errors, exc.body))


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, f"no run with id {exc.args[0]!r}")


async def _sweep_not_found(request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, f"no sweep with id {exc.args[0]!r}")


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return error_response(409, str(exc))


async def _unprocessable(request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, str(exc))


async def _bad_training(request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, str(exc), [SpecIssue(str(exc), None, "training")])


async def _unreadable_weights(request: Request, exc: Exception) -> JSONResponse:
    # A weights file the run keeps (an epoch's snapshot, say) is damaged or is not a
    # safetensors file at all: the run's data conflicts with the request, nothing to retry.
    return error_response(409, f"this run's stored weights cannot be read (damaged or "
                               f"not written by LayerLab): {exc}")


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    response = error_response(503, f"{exc}: try again in a moment")
    response.headers["Retry-After"] = "1"
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SpecError, _spec_error)
    app.add_exception_handler(RunNotFound, _not_found)
    app.add_exception_handler(SweepNotFound, _sweep_not_found)
    app.add_exception_handler(SweepError, _unprocessable)
    app.add_exception_handler(RunStateError, _conflict)
    app.add_exception_handler(DatasetError, _bad_training)
    app.add_exception_handler(TaskError, _bad_training)
    app.add_exception_handler(InspectError, _unprocessable)
    app.add_exception_handler(OriginError, _unprocessable)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(SafetensorError, _unreadable_weights)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
