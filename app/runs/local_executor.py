"""The local executor: each job runs in its own worker process on this machine, a few
at a time, the rest queued; runs that may use a GPU get one of their own."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from app.runs.executor import Executor, OnEvent
from app.runs.gpus import GpuSlots, environment_for, visible_gpus
from app.runs.worker import Job, spare_main
from app.spec.events import FinishedEvent, TrainingEvent


@dataclass
class _Process:
    """A started worker process waiting on `jobs` for the one job it will run."""

    process: Any
    jobs: Any
    events: Any
    stop: Any
    pause: Any
    ready: Any


@dataclass
class _Worker:
    job: Job
    on_event: OnEvent
    started: _Process | None = None  # holds every sync object the process was given
    stop_requested: bool = False
    finished: bool = False
    monitor: threading.Thread | None = field(default=None, repr=False)
    gpu: int | None = None  # the GPU slot it holds while it runs

    @property
    def proc(self) -> _Process:
        assert self.started is not None, "the worker has not been launched"
        return self.started


def worker_context() -> Any:
    """How worker processes start. Where the platform has it, a fork server that has
    imported PyTorch and LayerLab once (app.runs.preload) forks each worker, already
    warm; elsewhere each worker is a fresh interpreter (spawn). Never a plain fork of
    the server, whose threads and open connections a child must not inherit."""
    if "forkserver" in mp.get_all_start_methods():
        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["app.runs.preload"])
        return context
    return mp.get_context("spawn")


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class LocalProcessExecutor(Executor):
    """One spawned process per run, at most `max_concurrent` at once, the rest queued.

    `spares` processes are kept started ahead, with PyTorch already imported, so a new
    run's first metrics arrive in a fraction of a second instead of after the seconds
    a fresh interpreter takes to import everything (with a fork server, a worker forked
    for a queued run is nearly as quick). Spares are replaced when no job is running,
    so their start-up never slows a training run down.
    """

    def __init__(self, max_concurrent: int = 2, stop_timeout: float = 10.0,
                 spares: int = 1, memory_mb: int | None = None,
                 threads_per_run: int | None = None, gpus: int | None = None,
                 runs_per_gpu: int = 1) -> None:
        """`memory_mb`: the most memory (data size) one worker may allocate on the CPU.
        `threads_per_run`: PyTorch's CPU threads in each worker; by default the cores
        shared out among `max_concurrent` runs, at least one, so runs side by side do
        not oversubscribe the cores (on 2 cores, 8 runs of 2 threads each took 30 times
        as long as with one thread each: benchmarks/executor_overhead.py). `gpus`: how
        many GPUs to place runs on (default: those this process sees), each holding at
        most `runs_per_gpu` runs; a run that would use a GPU waits for a free one."""
        self.max_concurrent = max_concurrent
        self.threads_per_run = threads_per_run or max(1, usable_cores() // max_concurrent)
        self.gpus = GpuSlots(visible_gpus() if gpus is None else gpus, runs_per_gpu)
        self.stop_timeout = stop_timeout
        self.spares = spares
        self.memory_mb = memory_mb
        self._context = worker_context()
        self._lock = threading.Lock()
        self._pending: deque[_Worker] = deque()
        self._running: dict[str, _Worker] = {}
        self._idle: list[_Process] = [self._spawn() for _ in range(spares)]
        self._closed = False

    def submit(self, job: Job, on_event: OnEvent) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is shut down")
            self._pending.append(_Worker(job, on_event))
        self._start_pending()

    def stop(self, run_id: str) -> bool:
        with self._lock:
            queued = next((w for w in self._pending if w.job.run_id == run_id), None)
            if queued is not None:
                self._pending.remove(queued)
            worker = self._running.get(run_id)
            if worker is not None and worker.finished:
                worker = None  # it already ended (a pause, say): nothing to stop
            if worker is not None:
                worker.stop_requested = True
                worker.proc.stop.set()
        if queued is not None:
            queued.on_event(run_id, FinishedEvent(status="stopped", epoch=0, step=0,
                                                  reason="stopped before it started"))
            return True
        if worker is None:
            return False
        timer = threading.Timer(self.stop_timeout, self._kill, args=(worker,))
        timer.daemon = True
        timer.start()
        return True

    def pause(self, run_id: str) -> bool:
        with self._lock:
            worker = self._running.get(run_id)
            if worker is not None:
                worker.proc.pause.set()
        return worker is not None

    def active(self) -> set[str]:
        with self._lock:
            return {w.job.run_id for w in self._pending} | set(self._running)

    def shutdown(self) -> set[str]:
        """Pause every running job (each writes a checkpoint), drop the queue, and return
        the ids of the jobs that were still queued or running: they are interrupted."""
        with self._lock:
            self._closed = True
            interrupted = {w.job.run_id for w in self._pending} | set(self._running)
            self._pending.clear()
            workers = list(self._running.values())
            idle, self._idle = self._idle, []
        for worker in workers:
            worker.proc.pause.set()
        for spare in idle:
            with contextlib.suppress(OSError):
                spare.jobs.send(None)
        deadline = time.monotonic() + self.stop_timeout
        for process in [w.proc.process for w in workers] + [s.process for s in idle]:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
        for worker in workers:
            if worker.monitor is not None:
                worker.monitor.join(self.stop_timeout)
        for spare in idle:
            spare.jobs.close()
            spare.events.close()
        return interrupted

    def _start_pending(self) -> None:
        with self._lock:
            failed: list[tuple[_Worker, str]] = []
            for worker in list(self._pending):  # in order; a GPU run waits for a GPU
                if len(self._running) >= self.max_concurrent:
                    break
                if self.gpus.wants(worker.job.training):
                    worker.gpu = self.gpus.take()
                    if worker.gpu is None:
                        continue
                self._pending.remove(worker)
                try:
                    self._launch(worker)
                except OSError as exc:  # e.g. too many processes or open files
                    self._free_gpu(worker)
                    failed.append((worker, f"could not start a worker process: {exc}"))
                    continue
                self._running[worker.job.run_id] = worker
        for worker, why in failed:
            worker.on_event(worker.job.run_id,
                            FinishedEvent(status="failed", epoch=0, step=0, reason=why))

    def _spawn(self) -> _Process:
        ctx = self._context
        jobs, child = ctx.Pipe(duplex=False)
        events, stop, pause, ready = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Event()
        process = ctx.Process(target=spare_main,
                              args=(jobs, events, stop, pause, ready, self.memory_mb),
                              name="layerlab-worker", daemon=True)
        process.start()
        jobs.close()  # the child holds the reading end; we keep `child` to write
        return _Process(process, child, events, stop, pause, ready)

    def wait_until_warm(self, timeout: float = 60.0) -> bool:
        """Block until all `spares` exist and have finished their imports (True), or
        until the timeout (False). Spares are only replaced while nothing runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = list(self._idle)
            if len(idle) >= self.spares and all(spare.ready.is_set() for spare in idle):
                return True
            time.sleep(0.05)
        return False

    def _take_process(self, job: Job, gpu: int | None) -> _Process:
        """A warm spare when one is alive, else a fresh process; the job is sent to it
        with this process's environment as it is now (a forked worker would otherwise
        have the fork server's, from when that started)."""
        environment = dict(os.environ)
        if gpu is not None:
            environment = environment_for(gpu, environment)
        order = (job, environment, self.threads_per_run)
        while self._idle:
            spare = self._idle.pop(0)  # the oldest spare is the warmest
            if spare.process.is_alive():
                try:
                    spare.jobs.send(order)
                    return spare
                except OSError:
                    pass
            spare.process.join(0)
            spare.jobs.close()
            spare.events.close()
        fresh = self._spawn()
        fresh.jobs.send(order)
        return fresh

    def _launch(self, worker: _Worker) -> None:
        started = self._take_process(worker.job, worker.gpu)  # its `jobs` stays open while it runs:
        worker.started = started                   # the worker's sign that we are alive
        worker.monitor = threading.Thread(target=self._watch, args=(worker,), daemon=True,
                                          name=f"watch-{worker.job.run_id}")
        worker.monitor.start()

    def _watch(self, worker: _Worker) -> None:
        """Forward events until the process ends; a silent death becomes a failure."""
        run_id = worker.job.run_id
        try:
            while not worker.finished:
                try:
                    event = worker.proc.events.get(timeout=0.2)
                except queue.Empty:
                    if not worker.proc.process.is_alive():
                        self._drain(worker)
                        break
                    continue
                self._forward(worker, event)
            if not worker.finished:
                worker.on_event(run_id, self._death_event(worker))
        finally:
            self._release(worker)

    def _free_gpu(self, worker: _Worker) -> None:
        """Give the worker's GPU slot back (under the lock)."""
        if worker.gpu is not None:
            self.gpus.give_back(worker.gpu)
            worker.gpu = None

    def _release(self, worker: _Worker) -> None:
        """Reap the process (killed if its teardown hangs) and free its slot."""
        run_id = worker.job.run_id
        worker.proc.process.join(self.stop_timeout)
        self._kill(worker)
        worker.proc.events.close()
        worker.proc.jobs.close()
        with self._lock:
            self._free_gpu(worker)
            if self._running.get(run_id) is worker:  # a resumed run may already be back
                del self._running[run_id]
        self._start_pending()
        self._replenish()

    def _replenish(self) -> None:
        """Start new spares only while nothing trains: a spare's imports take seconds of
        CPU that a running job would otherwise lose."""
        with self._lock:
            if not self._closed and not self._running and not self._pending:
                while len(self._idle) < self.spares:
                    self._idle.append(self._spawn())

    def _drain(self, worker: _Worker) -> None:
        while not worker.finished:
            try:
                self._forward(worker, worker.proc.events.get(timeout=0.1))
            except queue.Empty:
                return

    def _forward(self, worker: _Worker, event: TrainingEvent) -> None:
        worker.finished = event.kind == "finished"
        worker.on_event(worker.job.run_id, event)

    def _death_event(self, worker: _Worker) -> FinishedEvent:
        code = worker.proc.process.exitcode
        if worker.stop_requested:
            return FinishedEvent(status="stopped", epoch=0, step=0,
                                 reason=f"killed after {self.stop_timeout:g} s without stopping")
        if code is not None and code < 0:
            try:
                name = f" ({signal.Signals(-code).name})"
            except ValueError:
                name = ""
            why = f"the worker process exited with signal {-code}{name}"
            if -code == signal.SIGKILL:
                why += "; the system may have run out of memory"
        else:
            why = f"the worker process exited unexpectedly (exit code {code})"
        return FinishedEvent(status="failed", epoch=0, step=0, reason=why)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.started is not None and worker.proc.process.is_alive():
            worker.proc.process.kill()
