"""The worker process: a thin shell around run_local (app.runs.in_process) that sends
events to the server."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventFlag
from pathlib import Path
from typing import Any

import torch

from app.datasets import use_uploads_dir
from app.nn import analyze
from app.runs.artifacts import epoch_hooks
from app.runs.core_share import CoreShare
from app.runs.gan_samples import SampleGrids
from app.runs.in_process import run_local
from app.spec import NetworkSpec, SpecLimits, parse_network
from app.spec.events import TrainingEvent
from app.spec.origin import RunOrigin
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME, Control, Start
from app.train.checkpoint import previous_path

INIT_WEIGHTS = "init.safetensors"
HEARTBEAT_EVERY = 0.5  # seconds between a worker process's heartbeats


@dataclass(frozen=True)
class Job:
    """Everything a worker needs; pickled across the process boundary."""

    run_id: str
    spec: NetworkSpec
    training: TrainingSpec
    run_dir: Path
    resume: bool = False
    limits: SpecLimits | None = None
    origin: RunOrigin | None = None  # its first weights are in INIT_WEIGHTS
    uploads_dir: Path | None = None  # the server's uploaded tables (dataset 'csv')
    owner: str | None = None  # the user the run belongs to (None: single-user mode)

    @property
    def start(self) -> Start | None:
        """A run started from another's weights: them, and where its count goes on."""
        if self.origin is None:
            return None
        return Start(self.run_dir / INIT_WEIGHTS, self.origin.start_epoch,
                     self.origin.step if self.origin.kind == "edit" else 0)

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    @property
    def has_checkpoint(self) -> bool:
        """The checkpoint or the one before it (kept in case the latest is damaged)."""
        return self.checkpoint.exists() or previous_path(self.checkpoint).exists()


class FlagControl(Control):
    """Stop and pause requests as two multiprocessing events (a cheap check)."""

    def __init__(self, stop: EventFlag, pause: EventFlag) -> None:
        self.stop, self.pause = stop, pause

    def requested(self) -> Any:
        if self.stop.is_set():
            return "stop"
        return "pause" if self.pause.is_set() else None


def spare_main(jobs: Connection, events: Any, stop: EventFlag, pause: EventFlag,
               ready: EventFlag, memory_mb: int | None = None, beat: Any = None) -> None:
    """A warm process: imports and PyTorch's one-time set-up are done by the time a job
    arrives, with the server's environment and PyTorch's threads (a number, or None
    for its share of the cores as it goes: app.runs.core_share); it runs one job and
    exits (None or a closed pipe ends it idle). It ends with the server: an orphaned
    worker would go on writing a run's files. `beat` (a shared double) gets its
    heartbeat."""
    if beat is not None:
        heartbeat(beat)
    warm_up()
    ready.set()
    try:
        order = jobs.recv()
    except EOFError:
        return
    if order is not None:
        job, environment, threads = order
        os.environ.clear()
        os.environ.update(environment)
        if threads is not None:
            torch.set_num_threads(threads)
        exit_with_server(jobs)
        if memory_mb is not None:
            limit_memory(memory_mb)
        worker_main(job, events, stop, pause, threads)


def limit_memory(megabytes: int) -> None:
    """Cap the process's data size (heap and anonymous maps: every tensor on the CPU),
    so a network too big for the machine fails its run with 'out of memory' instead
    of drawing the kernel's OOM killer onto some other process."""
    limit = megabytes * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def exit_with_server(jobs: Connection) -> None:
    """End this process as soon as the server is gone, even by kill -9: the server holds
    the other end of `jobs` open until it has reaped this worker, and sends nothing
    more, so the pipe becomes readable (end of file) only when the server dies. The
    parent process may not be the server (a fork server starts workers)."""

    def watch() -> None:
        jobs.poll(None)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


def heartbeat(beat: Any) -> None:
    """Write the monotonic clock (system-wide) into `beat` every HEARTBEAT_EVERY seconds
    from a thread of its own: the server sees a frozen process (stopped, swapped out for
    good) by a heartbeat that no longer moves, whatever the training loop is doing (its
    own progress is watched through its events)."""

    def beat_on() -> None:
        while True:
            beat.value = time.monotonic()
            time.sleep(HEARTBEAT_EVERY)

    threading.Thread(target=beat_on, name="heartbeat", daemon=True).start()


WARM_UP_SPEC = {"input": {"shape": [1, 8, 8]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 2, "activation": "relu"},
    {"id": "norm", "type": "batchnorm"},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 2},
]}


def warm_up() -> None:
    """The first meta-device run in a process imports torch._dynamo (about 2 s on a
    laptop-class CPU): pay it before a job is waiting."""
    analyze(parse_network(WARM_UP_SPEC))


def worker_main(job: Job, events: Any, stop: EventFlag, pause: EventFlag,
                threads: int | None = None) -> None:
    """Process entry point: train, putting each event on the `events` queue; with
    `threads` None, on this run's share of the machine's cores, taken again at each
    report (app.runs.core_share)."""
    job.run_dir.mkdir(parents=True, exist_ok=True)
    if job.uploads_dir is not None:
        use_uploads_dir(job.uploads_dir)
    resume = job.checkpoint if job.resume and job.has_checkpoint else None
    share = CoreShare() if threads is None else None

    def emit(event: TrainingEvent) -> None:
        if share is not None:
            share.adjust()
        events.put(event)

    with share or contextlib.nullcontext():
        run_local(job.spec, job.training, emit, checkpoint_dir=job.run_dir,
                  control=FlagControl(stop, pause), resume=resume, limits=job.limits,
                  hooks=epoch_hooks(job.run_dir, job.spec, job.training, job.limits),
                  start=job.start, sample_hook=SampleGrids(job.run_dir))
