"""The Ray side of the Ray executor: joining or starting the cluster, and the actor that
trains one run at a time in a Ray worker process (reset between runs, so a warm actor
serves the next one). The executor that drives them is app.runs.ray_executor."""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import threading
from typing import Any, cast

import ray

from app.runs.worker import Job, limit_memory, warm_up, worker_main
from app.spec.events import TrainingEvent

NAMESPACE = "layerlab"
LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to the Ray cluster at `address`, or start a local one for this machine
    alone; True if this call started Ray (so its owner shuts it down). The local
    cluster has no dashboard and listens on the loopback address only: Ray has no bind
    option, but with its cluster mode off it takes 127.0.0.1 as the node address, and
    every one of its servers listens there.

    Its workers train at the server's own priority: Ray lowers its workers' to niceness
    15 by default, as for background tasks, so any busy process at normal priority (a
    build, another program) would starve a run of the CPU (its start-up alone took two
    minutes beside two busy cores). A cluster started elsewhere keeps its own setting:
    start its nodes with RAY_worker_niceness=0 for the same."""
    if ray.is_initialized():
        return False
    local: dict[str, Any] = {}
    if address is None:
        os.environ[LOCAL_ONLY] = "0"  # read by the Ray processes this starts
        ray._private.ray_constants.ENABLE_RAY_CLUSTER = False  # and by this one
        local["_system_config"] = {"worker_niceness": 0}
    ray.init(address=address, num_cpus=num_cpus, namespace=NAMESPACE,
             include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    return True


class RunActor:
    """Lives in a Ray worker process, one per run: `run` trains on one of the actor's
    threads while `drain`, `stop` and `pause` calls arrive on others. The server owns
    the actor, so Ray ends it if the server goes away: no orphan writes a run's files."""

    def __init__(self, memory_mb: int | None = None) -> None:
        warm_up()  # PyTorch's imports and first-network set-up, before a job is waiting
        if memory_mb is not None:  # as a local worker's cap: a run over it fails its run
            limit_memory(memory_mb)
        self._events: queue.Queue[TrainingEvent] = queue.Queue()
        self._stop, self._pause = threading.Event(), threading.Event()

    def ready(self) -> bool:
        return True

    def run(self, job: Job, environment: dict[str, str]) -> None:
        """Train with the server's LAYERLAB_* settings (dataset folders and the like)."""
        os.environ.update(environment)
        # threading events have the is_set() that FlagControl asks of its flags
        worker_main(job, self._events, cast(Any, self._stop), cast(Any, self._pause))

    def drain(self, wait: float) -> list[TrainingEvent]:
        """The events so far, in order; waits up to `wait` seconds for a first one."""
        try:
            events = [self._events.get(timeout=wait)]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self._events.get_nowait())
        return events

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None:
        self._pause.set()

    def reset(self) -> None:
        """Ready for another run: fresh controls, nothing left of the last run's events or
        tensors (CUDA's cached blocks go back to the device)."""
        self._stop.clear()
        self._pause.clear()
        with contextlib.suppress(queue.Empty):
            while True:
                self._events.get_nowait()
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def ray_reason(exc: BaseException) -> str:
    """Ray's error text without the actor's id card (tab-indented `key: value` lines)
    or the traceback it may append: what happened and why, in at most 400 characters."""
    lines = [line.strip() for line in str(exc).splitlines()
             if line.strip() and not line.startswith("\t")]
    lines = [line for line in lines if not line.startswith("Traceback")][:3]
    return " ".join(lines)[:400] if lines else type(exc).__name__
