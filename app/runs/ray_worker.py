"""One Ray actor as the executor core sees it: a worker that trains one run at a time.
Its events wait in a queue inside the actor and come back in batches (`drain`); a lost
actor, or a `run` call that ended without a final event, is the run's loss. An actor
whose run ended cleanly is reset and may serve the next run."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError

from app.runs.placement import Request, Worker, WorkerLost
from app.runs.ray_actor import ray_reason
from app.runs.worker import Job
from app.spec.events import TrainingEvent

ANSWER_GRACE = 1.0  # seconds a `drain` call may take beyond its own wait


class ActorWorker(Worker):
    """A handle on a RunActor (app.runs.ray_actor); `done` is its current `run` call."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.done: Any = None
        self.asked: Any = None  # a `drain` call not yet answered
        self.asked_at = 0.0  # when it was made
        self.answered = False  # a `drain` call was answered: the actor has started

    def begin(self, job: Job, gpu: int | None) -> None:
        """Train with the server's LAYERLAB_* settings (dataset folders and the like);
        Ray gives the actor its GPUs."""
        environment = {k: v for k, v in os.environ.items() if k.startswith("LAYERLAB_")}
        self.done = self.actor.run.remote(job, environment)

    def signal(self, request: Request) -> None:
        {"stop": self.actor.stop, "pause": self.actor.pause}[request].remote()

    def kill(self) -> None:
        with contextlib.suppress(RayError, ValueError):
            ray.kill(self.actor)

    def receive(self, wait: float) -> list[TrainingEvent]:
        """A `drain` call not answered within `wait` and a grace is waited on again by the
        next receive (a frozen actor answers none: `silent` tells how long)."""
        try:
            if self.asked is None:
                self.asked, self.asked_at = self.actor.drain.remote(wait), time.monotonic()
            if not ray.wait([self.asked], timeout=wait + ANSWER_GRACE)[0]:
                return []
            events: list[TrainingEvent] = ray.get(self.asked)
            self.asked, self.answered = None, True
            if events or not ray.wait([self.done], timeout=0)[0]:
                return events
            events = ray.get(self.actor.drain.remote(0.0))  # `run` is over: its last ones
        except RayError as exc:
            raise WorkerLost(f"the Ray worker died: {ray_reason(exc)}") from None
        if events:
            return events
        raise WorkerLost(self._why_ended())

    def silent(self, timeout: float) -> str | None:
        """An actor that has not answered a `drain` call for `timeout` seconds is frozen
        (its process stopped, say). Not judged before it first answers: a fresh actor's
        calls wait for its start-up (imports, warm-up)."""
        quiet = time.monotonic() - self.asked_at
        if self.asked is None or not self.answered or quiet <= timeout:
            return None
        return f"the Ray actor has not answered for {quiet:.0f} s"

    def _why_ended(self) -> str:
        """`run` returned or raised without a final event."""
        try:
            ray.get(self.done)
        except RayError as exc:
            return f"the Ray task failed: {ray_reason(exc)}"
        return "the run ended without a final event"

    def retire(self, clean: bool, timeout: float) -> bool:
        """Let `run` return (its files are written); a clean end resets the actor for the
        next run, any other end ends it, freeing its resources."""
        returned = False
        if self.done is None:  # it never took the run
            self.kill()
            return False
        with contextlib.suppress(RayError):
            if ray.wait([self.done], timeout=timeout)[0]:
                ray.get(self.done)
                returned = True
        if clean and returned:
            try:
                ray.get(self.actor.reset.remote(), timeout=timeout)
                return True
            except (RayError, TimeoutError):
                pass
        self.kill()
        return False

    def ready(self, timeout: float | None) -> bool:
        try:
            ray.get(self.actor.ready.remote(), timeout=timeout)
        except GetTimeoutError:
            return False
        except RayError as exc:  # killed by a shutdown, or its process died
            raise WorkerLost(f"the Ray worker died: {ray_reason(exc)}") from None
        return True
