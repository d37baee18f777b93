"""One run on the Ray executor: its job, the actor it trains on, and the monitor thread
that brings its events back from the actor in order, turning a lost actor or a `run`
call that ended without a final event into the run's failure (or its stop, when one
was asked for)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayError

from app.runs.executor import OnEvent
from app.runs.ray_actor import ray_reason
from app.runs.worker import Job
from app.spec.events import FinishedEvent, StartedEvent, TrainingEvent

DRAIN_WAIT = 0.25  # seconds a drain call waits for a first event before it answers


@dataclass
class RayRun:
    job: Job
    on_event: OnEvent
    actor: Any = None  # None while it waits for a warm actor
    started: bool = False
    finished: bool = False
    returned: bool = False  # its `run` call came back without an error
    status: str | None = None  # its FinishedEvent's
    stop_requested: bool = False
    dropped: bool = False  # ended by shutdown before it started: no event, interrupted
    monitor: threading.Thread | None = field(default=None, repr=False)

    def follow(self, done: Any, stop_timeout: float,
               release: Callable[[RayRun], None]) -> None:
        """Start the monitor thread: it forwards events until the FinishedEvent, gives
        the `run` call (`done`) up to `stop_timeout` to return, then calls `release`."""
        self.monitor = threading.Thread(target=self._watch, args=(done, stop_timeout, release),
                                        daemon=True, name=f"ray-watch-{self.job.run_id}")
        self.monitor.start()

    def forward(self, event: TrainingEvent) -> None:
        self.started = self.started or isinstance(event, StartedEvent)
        self.finished = event.kind == "finished"
        if isinstance(event, FinishedEvent):
            self.status = event.status
        self.on_event(self.job.run_id, event)

    def _watch(self, done: Any, stop_timeout: float,
               release: Callable[[RayRun], None]) -> None:
        """Forward events until the run's FinishedEvent; a dead actor fails the run."""
        try:
            while not self.finished:
                try:
                    events = ray.get(self.actor.drain.remote(DRAIN_WAIT))
                except RayError as exc:
                    self._died(exc, stop_timeout)
                    break
                for event in events:
                    self.forward(event)
                if not events and not self.finished and ray.wait([done], timeout=0)[0]:
                    self._ended_silently(done)
            with contextlib.suppress(RayError):  # let `run` return: its files are written
                if ray.wait([done], timeout=stop_timeout)[0]:
                    ray.get(done)
                    self.returned = True
        finally:
            release(self)

    def _ended_silently(self, done: Any) -> None:
        """`run` returned or raised without a FinishedEvent: pick up the last events."""
        for event in ray.get(self.actor.drain.remote(0.0)):
            self.forward(event)
        if self.finished:
            return
        try:
            ray.get(done)
            why = "the run ended without a final event"
        except RayError as exc:
            why = f"the Ray task failed: {ray_reason(exc)}"
        self.forward(FinishedEvent(status="failed", epoch=0, step=0, reason=why))

    def _died(self, exc: RayError, stop_timeout: float) -> None:
        if self.dropped:
            return
        if self.stop_requested:
            why = ("stopped before it started" if not self.started
                   else f"killed after {stop_timeout:g} s without stopping")
            event = FinishedEvent(status="stopped", epoch=0, step=0, reason=why)
        else:
            event = FinishedEvent(status="failed", epoch=0, step=0,
                                  reason=f"the Ray worker died: {ray_reason(exc)}")
        self.forward(event)
