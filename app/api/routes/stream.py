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
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, RootModel
from starlette.concurrency import run_in_threadpool

from app.api.deps import RunsDep
from app.api.schemas import ErrorOut, RunOut
from app.api.stream_slots import TRY_AGAIN_LATER, StreamSlots
from app.api.streaming import Feeds, StreamBuffer
from app.api.write_guard import same_origin
from app.runs.run_states import SNAPSHOT_POINTS
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
    """First message on a stream: the run and its metrics so far, as step rows and epoch
    rows (the same columns the metrics and epoch events then add to). Every epoch row is
    sent; a long run's step rows are thinned to what a chart draws (each stretch of steps
    keeps its lowest and highest values, and the first and last rows are kept):
    `downsampled` says so, and `GET /runs/{id}/metrics?points=0` has every row (a step
    range at a time for runs of over 200,000 steps)."""

    model_config = {"json_schema_serialization_defaults_required": True}

    kind: Literal["snapshot"] = "snapshot"
    run: RunOut
    metrics: RunMetrics
    boundary: BoundaryEvent | None = Field(
        default=None, description="The latest decision boundary of a running 2-D model.")
    total_steps: int = Field(
        default=0, description="How many step rows the run has (after since_step, when "
                               "asked); metrics.steps holds all of them unless downsampled.")
    downsampled: bool = Field(
        default=False, description=f"Whether step rows were left out: at most "
                                   f"{SNAPSHOT_POINTS} values of each step metric are sent.")

    @classmethod
    def of(cls, snapshot: RunSnapshot) -> SnapshotMessage:
        return cls(run=RunOut(**snapshot.run.model_dump()), metrics=snapshot.metrics,
                   boundary=snapshot.boundary, total_steps=snapshot.total_steps,
                   downsampled=snapshot.downsampled)


SinceStep = Annotated[int | None, Query(
    ge=-1, le=2**62, description="Only rows after this step (a client that has the rows up "
                                 "to it); default: from the start.")]


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
def stream_snapshot(run_id: str, runs: RunsDep, since_step: SinceStep = None
                    ) -> SnapshotMessage:
    """The snapshot a run's stream starts with; open this path as a websocket to follow it."""
    return SnapshotMessage.of(runs.snapshot(run_id, since_step=since_step))


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """The rule every state-changing request follows (app.api.write_guard)."""
    return same_origin(websocket.headers.get("origin"), websocket.scope,
                       settings.allowed_origins)


@router.websocket(STREAM_PATH)
async def stream_run(websocket: WebSocket, run_id: str, since_step: SinceStep = None) -> None:
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
    slots: StreamSlots = websocket.app.state.stream_slots
    client = websocket.client.host if websocket.client else ""
    if not slots.take(client):
        await websocket.accept()  # accepted, so that the client reads the code and reason
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
            await asyncio.wait_for(websocket.close(TRY_AGAIN_LATER, slots.refusal()),
                                   SEND_TIMEOUT)
        return
    await _follow(websocket, runs, run_id, since_step, lambda: slots.give_back(client))


async def _follow(websocket: WebSocket, runs: RunService, run_id: str,
                  since_step: int | None, release: Callable[[], None]) -> None:
    """The stream proper; `release` gives the client's slot back before the socket closes,
    so a client that saw its stream close can open another at once."""
    feeds: Feeds = websocket.app.state.feeds
    buffer = StreamBuffer()
    try:
        await websocket.accept()
        feeds.join(run_id, buffer)
        if await _send_snapshot(websocket, runs, run_id, buffer, since_step):
            await _pump(websocket, buffer)
    except (WebSocketDisconnect, TimeoutError, RuntimeError):
        pass  # the subscriber left or stalled: nothing else is affected
    finally:
        feeds.leave(run_id, buffer)
        release()
        # a subscriber that stopped reading would hold the close (and this task) forever
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
            await asyncio.wait_for(websocket.close(), SEND_TIMEOUT)


async def _send_snapshot(websocket: WebSocket, runs: RunService, run_id: str,
                         buffer: StreamBuffer, since_step: int | None) -> bool:
    """Send the snapshot; False when the run is already over."""
    snapshot = await run_in_threadpool(runs.snapshot, run_id, since_step)
    await _send(websocket, SnapshotMessage.of(snapshot).model_dump_json())
    # a client that asked from a step on has the steps up to it: they are not sent again
    buffer.after_step = max(snapshot.metrics.last_step, -1 if since_step is None else since_step)
    buffer.after_epoch = max(snapshot.metrics.epochs.epoch, default=-1)
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
