"""A run's live stream: a websocket that sends a snapshot, then the run's events.

FastAPI lists no websocket route in OpenAPI, so a plain GET on the same path documents
the stream: it answers the snapshot the stream starts with, and its 1XX answer (101
Switching Protocols) names `StreamMessage`, the union of every message the socket sends.
That puts each message in /openapi.json as a component (`kind` is the discriminator)
beside the path a client opens, so clients generated from the schema get both the
message types and the URL, with no hook to keep in step with the routes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, RootModel
from starlette.concurrency import run_in_threadpool

from app.api.deps import RunsDep
from app.api.schemas import ErrorOut, RunOut
from app.api.streaming import Feeds, StreamBuffer
from app.api.write_guard import same_origin
from app.runs.service import RunNotFound, RunService, RunSnapshot
from app.settings import Settings
from app.spec.events import (
    FINAL_STATUSES,
    BoundaryEvent,
    CheckpointEvent,
    EpochEvent,
    FinishedEvent,
    MetricsEvent,
    NoteEvent,
    RunMetrics,
    SamplesEvent,
    StartedEvent,
)

router = APIRouter(tags=["runs"])
SEND_TIMEOUT = 10.0  # a subscriber that takes longer to accept a message is dropped
STREAM_PATH = "/runs/{run_id}/stream"


class SnapshotMessage(BaseModel):
    """First message on a stream: the run and every metric so far, as step rows and
    epoch rows (the same columns the metrics and epoch events then add to)."""

    model_config = {"json_schema_serialization_defaults_required": True}

    kind: Literal["snapshot"] = "snapshot"
    run: RunOut
    metrics: RunMetrics
    boundary: BoundaryEvent | None = Field(
        default=None, description="The latest decision boundary of a running 2-D model.")

    @classmethod
    def of(cls, snapshot: RunSnapshot) -> SnapshotMessage:
        return cls(run=RunOut(**snapshot.run.model_dump()), metrics=snapshot.metrics,
                   boundary=snapshot.boundary)


class StreamMessage(RootModel[Annotated[
    SnapshotMessage | StartedEvent | MetricsEvent | EpochEvent | CheckpointEvent
    | NoteEvent | BoundaryEvent | SamplesEvent | FinishedEvent,
    Field(discriminator="kind")]]):
    """One message on a run's stream, told apart by `kind`: first a snapshot, then the
    run's events (metric blocks, epochs, checkpoints, boundaries, sample grids) as they
    come, at most one batch every 50 ms, and last a finished event, after which the socket
    closes. A run that is over (its status in /meta's final_statuses) sends the snapshot
    alone; a paused or interrupted one's stream then stays open until it goes on."""


@router.get(STREAM_PATH, responses={
    "1XX": {"model": StreamMessage, "description": "101, opened as a websocket: the "
          "stream's messages, one JSON object each."},
    404: {"model": ErrorOut, "description": "No run has this id."}})
def stream_snapshot(run_id: str, runs: RunsDep) -> SnapshotMessage:
    """The snapshot a run's stream starts with; open this path as a websocket to follow it."""
    return SnapshotMessage.of(runs.snapshot(run_id))


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """The rule every state-changing request follows (app.api.write_guard)."""
    return same_origin(websocket.headers.get("origin"), websocket.scope,
                       settings.allowed_origins)


@router.websocket(STREAM_PATH)
async def stream_run(websocket: WebSocket, run_id: str) -> None:
    """A snapshot, then live events batched at most every 50 ms, then the final event."""
    settings: Settings = websocket.app.state.settings
    runs: RunService = websocket.app.state.runs
    if not origin_allowed(websocket, settings):
        await websocket.close(code=4403, reason="origin not allowed")
        return
    try:
        runs.get(run_id)
    except RunNotFound:
        await websocket.close(code=4404, reason="no such run")
        return
    await websocket.accept()
    feeds: Feeds = websocket.app.state.feeds
    buffer = StreamBuffer()
    feeds.join(run_id, buffer)
    try:
        if await _send_snapshot(websocket, runs, run_id, buffer):
            await _pump(websocket, buffer)
    except (WebSocketDisconnect, TimeoutError, RuntimeError):
        pass  # the subscriber left or stalled: nothing else is affected
    finally:
        feeds.leave(run_id, buffer)
        # a subscriber that stopped reading would hold the close (and this task) forever
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
            await asyncio.wait_for(websocket.close(), SEND_TIMEOUT)


async def _send_snapshot(websocket: WebSocket, runs: RunService, run_id: str,
                         buffer: StreamBuffer) -> bool:
    """Send the snapshot; False when the run is already over."""
    snapshot = await run_in_threadpool(runs.snapshot, run_id)
    await _send(websocket, SnapshotMessage.of(snapshot).model_dump_json())
    buffer.after_step = snapshot.metrics.last_step
    return snapshot.run.status not in FINAL_STATUSES


async def _pump(websocket: WebSocket, buffer: StreamBuffer) -> None:
    receiver = asyncio.ensure_future(websocket.receive())  # notices a client leaving
    try:
        while True:
            waiter = asyncio.ensure_future(buffer.ready.wait())
            done, _ = await asyncio.wait({waiter, receiver},
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                waiter.cancel()
                message: Any = receiver.result()
                if message["type"] == "websocket.disconnect":
                    return
                receiver = asyncio.ensure_future(websocket.receive())
                continue
            for message in buffer.take():
                await _send(websocket, message.text)
                if isinstance(message.event, FinishedEvent):
                    return
    finally:
        receiver.cancel()


async def _send(websocket: WebSocket, text: str) -> None:
    await asyncio.wait_for(websocket.send_text(text), SEND_TIMEOUT)
