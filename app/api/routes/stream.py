from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.schemas import RunOut
from app.api.streaming import Feeds, StreamBuffer
from app.runs.service import RunNotFound, RunService
from app.settings import Settings
from app.spec.events import FINAL_STATUSES, BoundaryEvent, FinishedEvent

router = APIRouter(tags=["runs"])
SEND_TIMEOUT = 10.0  # a subscriber that takes longer to accept a message is dropped


class SnapshotMessage(BaseModel):
    """First message on a stream: the run and every metric so far, as columns."""

    kind: str = "snapshot"
    run: RunOut
    metrics: dict[str, list[float | int | None]]
    boundary: BoundaryEvent | None = Field(
        default=None, description="The latest decision boundary of a running 2-D model.")


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Same origin, a configured origin, or no Origin header (not a browser)."""
    origin = websocket.headers.get("origin")
    if origin is None or origin in settings.allowed_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


@router.websocket("/runs/{run_id}/stream")
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
    await run_in_threadpool(runs.recorder.flush)  # the store has every event so far
    run = await run_in_threadpool(runs.get, run_id)
    metrics = await run_in_threadpool(runs.store.get_metrics, run_id)
    snapshot = SnapshotMessage(run=RunOut(**run.model_dump()), metrics=metrics,
                               boundary=runs.last_boundary(run_id))
    await _send(websocket, snapshot.model_dump_json())
    buffer.after_step = int(max((s for s in metrics["step"] if s is not None), default=-1))
    return run.status not in FINAL_STATUSES


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
