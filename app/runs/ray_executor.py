"""Runs on a Ray cluster: each run is a Ray actor that holds its resource request (CPUs,
GPUs or a fraction of one) for as long as it trains, and Ray queues the runs that do
not fit. LayerLab writes no cluster code of its own: placement, queueing, process
start-up and failure detection are Ray's.

A run asking for the default resources waits for the first warm actor: a spare, one
freed by a run that ended cleanly (reused, so a burst such as a sweep does not pay
PyTorch's imports per run), or a fresh one started for it, whichever is ready first.
Ray still places every actor and queues the ones that do not fit.

The actor runs the same `worker_main` as a local worker process. Its events wait in a
queue inside the actor; one monitor thread per run in the server (app.runs.ray_run)
pulls them back in batches (`drain`) and hands them to on_event in order. A run's files
go to its run_dir as on one machine, so on a cluster of several nodes the runs folder
must be on storage every node mounts at the same path.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from typing import Any

import ray
from ray.exceptions import RayError

from app.runs.executor import Executor, OnEvent
from app.runs.ray_actor import RunActor, start_ray
from app.runs.ray_run import RayRun
from app.runs.worker import Job
from app.spec.events import FinishedEvent

REUSABLE = frozenset({"completed", "stopped", "paused", "diverged"})
"""A run that ended so, its `run` call returned, leaves an actor fit for the next run."""


class RayExecutor(Executor):
    """Each run is an actor asking Ray for `cpus` CPUs and `gpus` GPUs (a fraction
    shares one); runs that ask for no GPU (training.device "cpu") get none, and one
    that insists on "cuda" gets at least one. Actors with the default request are warm
    and reused: `spares` of them are kept ahead while nothing runs, one freed by a run
    that ended cleanly goes to the next waiting run, and each holds its resources while
    it waits. Other requests get an actor of their own, ended with their run.

    `memory_mb` caps each actor's data size as it caps a local worker's, and is also
    asked of Ray (its `memory` resource), so Ray places no more runs on a node than
    the node's memory holds."""

    def __init__(self, address: str | None = None, cpus: float = 1.0, gpus: float = 0.0,
                 stop_timeout: float = 10.0, spares: int = 1,
                 memory_mb: int | None = None) -> None:
        self.cpus, self.gpus, self.stop_timeout, self.spares = cpus, gpus, stop_timeout, spares
        self.memory_mb = memory_mb
        self._owns_ray = start_ray(address)
        self._actor_class = ray.remote(RunActor)
        self._lock = threading.Lock()
        self._runs: dict[str, RayRun] = {}
        self._idle: list[Any] = []  # warm default actors with nothing to do
        self._waiting: deque[RayRun] = deque()  # default runs with no actor yet
        self._starting: list[Any] = []  # fresh default actors still doing their imports
        self._closed = False
        self._nodes = max(1, sum(1 for node in ray.nodes() if node.get("Alive")))
        self._replenish()

    def resources(self, job: Job) -> tuple[float, float]:
        """(CPUs, GPUs) the run asks Ray for."""
        device = job.training.device
        gpus = 0.0 if device in ("cpu", "mps") else self.gpus
        if device == "cuda" and gpus == 0:
            gpus = 1.0
        return self.cpus, gpus

    def submit(self, job: Job, on_event: OnEvent) -> None:
        cpus, gpus = self.resources(job)
        missing = self._missing(cpus, gpus)
        if missing:
            on_event(job.run_id, FinishedEvent(status="failed", epoch=0, step=0, reason=missing))
            return
        fresh = False
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is shut down")
            run = RayRun(job, on_event)
            self._runs[job.run_id] = run
            if (cpus, gpus) != (self.cpus, self.gpus):
                actor = self._new_actor(cpus, gpus)
            elif self._idle:
                actor = self._idle.pop(0)
            else:
                actor = None
                self._waiting.append(run)
                fresh = self._wants_fresh()
        if actor is not None:
            self._bind(run, actor)
        elif fresh:
            self._start_fresh()

    def _bind(self, run: RayRun, actor: Any) -> None:
        """Start the run on the actor, and a thread that forwards its events."""
        run.actor = actor
        environment = {k: v for k, v in os.environ.items() if k.startswith("LAYERLAB_")}
        run.follow(actor.run.remote(run.job, environment), self.stop_timeout, self._release)

    def _start_fresh(self) -> None:
        """A new default actor for the waiting runs: once its imports are done, it goes
        to the first run still waiting (another actor may have served it meanwhile)."""
        actor = self._new_actor(self.cpus, self.gpus)
        with self._lock:
            self._starting.append(actor)

        def offer_when_ready() -> None:
            try:
                ray.get(actor.ready.remote())
                ready = True
            except RayError:  # killed by a shutdown, or its process died
                ready = False
            with self._lock:
                if actor in self._starting:
                    self._starting.remove(actor)
            if ready:
                self._offer(actor)
            with self._lock:
                again = self._wants_fresh()
            if again:
                self._start_fresh()

        threading.Thread(target=offer_when_ready, daemon=True, name="ray-fresh-actor").start()

    def _wants_fresh(self) -> bool:
        """Whether runs wait for more actors than are starting, and fewer are starting
        than the cluster has nodes: fresh actors import PyTorch one per node at a time,
        so that on a small machine their imports do not starve the runs training there
        (a warm actor freed meanwhile serves the queue first). Called under the lock."""
        return (not self._closed and len(self._starting) < len(self._waiting)
                and len(self._starting) < self._nodes)

    def _offer(self, actor: Any) -> None:
        """A warm default actor with nothing to do: the first waiting run gets it, else it
        stays as a spare, or ends when there are spares enough."""
        with self._lock:
            run = self._waiting.popleft() if self._waiting and not self._closed else None
            keep = run is None and not self._closed and len(self._idle) < self.spares
            if keep:
                self._idle.append(actor)
        if run is not None:
            self._bind(run, actor)
        elif not keep:
            with contextlib.suppress(RayError, ValueError):
                ray.kill(actor)

    def stop(self, run_id: str) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.finished:
                return False
            run.stop_requested = True
            waiting = run in self._waiting
            if waiting:
                self._waiting.remove(run)
                del self._runs[run_id]
        if waiting:
            run.on_event(run_id, FinishedEvent(status="stopped", epoch=0, step=0,
                                               reason="stopped before it started"))
            return True
        if not run.started:  # still waiting for its resources (or its process)
            ray.kill(run.actor)
            return True
        run.actor.stop.remote()
        timer = threading.Timer(self.stop_timeout, self._kill_unfinished, args=(run,))
        timer.daemon = True
        timer.start()
        return True

    def pause(self, run_id: str) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.finished or run.actor is None:
                return False
        run.actor.pause.remote()
        return True

    def active(self) -> set[str]:
        with self._lock:
            return set(self._runs)

    def shutdown(self) -> set[str]:
        """Pause every started run (each writes a checkpoint), drop the ones still
        waiting, and return the ids of both: they are interrupted."""
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
            spare = self._idle + self._starting
            self._idle, self._starting = [], []
            self._waiting.clear()
        interrupted = {run.job.run_id for run in runs if not run.finished}
        for run in runs:
            if run.started:
                run.actor.pause.remote()
            else:
                run.dropped = True
                if run.actor is not None:
                    ray.kill(run.actor)
        for actor in spare:
            ray.kill(actor)
        deadline = time.monotonic() + self.stop_timeout
        for run in runs:
            if run.monitor is not None:
                run.monitor.join(max(0.0, deadline - time.monotonic()))
            self._kill(run)
        if self._owns_ray:
            ray.shutdown()
        return interrupted

    def wait_until_warm(self, timeout: float = 60.0) -> bool:
        """Block until every spare actor has done its imports (True) or the timeout."""
        with self._lock:
            idle = list(self._idle)
        try:
            ray.get([actor.ready.remote() for actor in idle], timeout=timeout)
        except (RayError, TimeoutError):
            return False
        return True

    def _new_actor(self, cpus: float, gpus: float) -> Any:
        # threads: `run` holds one for the whole run; drain, stop and pause use others
        memory = {"memory": self.memory_mb * 2**20} if self.memory_mb else {}
        return self._actor_class.options(num_cpus=cpus, num_gpus=gpus, max_concurrency=4,
                                         max_restarts=0, **memory).remote(self.memory_mb)

    def _missing(self, cpus: float, gpus: float) -> str | None:
        """Why the cluster can never place this request, or None (Ray queues the rest)."""
        total = ray.cluster_resources()
        for name, wanted in (("CPU", cpus), ("GPU", gpus)):
            have = total.get(name, 0.0)
            if wanted > have:
                return (f"the Ray cluster has {have:g} {name}(s) in all and this run asks "
                        f"for {wanted:g}: set LAYERLAB_RAY_{name}S_PER_RUN lower or add nodes")
        if self.memory_mb and self.memory_mb * 2**20 > total.get("memory", 0.0):
            have = total.get("memory", 0.0) / 2**20
            return (f"the Ray cluster has {have:,.0f} MB of memory for tasks in all and each "
                    f"run asks for {self.memory_mb:,} MB: set LAYERLAB_WORKER_MEMORY_MB lower "
                    "or add nodes")
        return None

    def _replenish(self) -> None:
        """Start spares only while nothing runs: their imports would slow a run down."""
        with self._lock:
            if self._closed or self._runs:
                return
            while len(self._idle) < self.spares:
                self._idle.append(self._new_actor(self.cpus, self.gpus))

    def _release(self, run: RayRun) -> None:
        """Once its last event is in: a clean end hands a default actor on (reset), any
        other end ends the actor, freeing its resources."""
        reuse = (run.returned and run.status in REUSABLE
                 and self.resources(run.job) == (self.cpus, self.gpus))
        if reuse:
            try:
                ray.get(run.actor.reset.remote(), timeout=self.stop_timeout)
            except (RayError, TimeoutError):
                reuse = False
        with self._lock:  # active until its actor is handed on or ended
            if self._runs.get(run.job.run_id) is run:  # a resumed run may already be back
                del self._runs[run.job.run_id]
        if reuse:
            self._offer(run.actor)
        else:
            self._kill(run)
        self._replenish()

    def _kill_unfinished(self, run: RayRun) -> None:
        """A stop's deadline: the run's actor ends unless the run has ended (its actor
        may serve another run by now)."""
        if not run.finished:
            self._kill(run)

    @staticmethod
    def _kill(run: RayRun) -> None:
        with contextlib.suppress(RayError, ValueError):
            ray.kill(run.actor)
