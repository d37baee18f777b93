"""The process executor (LAYERLAB_EXECUTOR=local): each run trains in a worker process of
its own on this machine, a few at a time, the rest queued; runs that may use a GPU get
one of their own. The queue, stops, pauses and the warm pool are the executor core's
(app.runs.executor_core); this module starts the processes and watches them."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass
from typing import Any

from app.runs.executor_core import WORKER_TIMEOUT, ExecutorCore
from app.runs.gpus import GpuSlots, environment_for, visible_gpus
from app.runs.placement import Request, Worker, WorkerLost
from app.runs.worker import Job, spare_main
from app.spec.events import TrainingEvent


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


class ProcessExecutor(ExecutorCore):
    """One process per run, at most `max_concurrent` at once, the rest queued.

    `spares` processes are kept started ahead, with PyTorch already imported, so a new
    run's first metrics arrive in a fraction of a second instead of after the seconds
    a fresh interpreter takes to import everything (with a fork server, a worker forked
    for a queued run is nearly as quick). Spares are replaced when no job is running,
    so their start-up never slows a training run down. A process trains one run.
    """

    def __init__(self, max_concurrent: int = 2, stop_timeout: float = 10.0,
                 spares: int = 1, memory_mb: int | None = None,
                 threads_per_run: int | None = None, gpus: int | None = None,
                 runs_per_gpu: int = 1, worker_timeout: float = WORKER_TIMEOUT,
                 per_user: int | None = None) -> None:
        """`memory_mb`: the most memory (data size) one worker may allocate on the CPU.
        `threads_per_run`: PyTorch's CPU threads in each worker; by default the cores
        shared out among the runs training on the machine as it goes (app.runs.
        core_share: a lone run gets them all), so runs side by side do not
        oversubscribe the cores (on 2 cores, 8 runs of 2 threads each took 30 times as
        long as with one thread each: benchmarks/executor_overhead.py). `gpus`: how
        many GPUs to place runs on (default: those this process sees), each holding at
        most `runs_per_gpu` runs; a run that would use a GPU waits for a free one.
        `worker_timeout`: see ExecutorCore; each process sends a heartbeat for it.
        `per_user`: see ExecutorCore."""
        self.threads_per_run = threads_per_run
        self.memory_mb = memory_mb
        self._context = worker_context()
        slots = GpuSlots(visible_gpus() if gpus is None else gpus, runs_per_gpu)
        super().__init__(max_concurrent, stop_timeout, spares, slots,
                         worker_timeout=worker_timeout, per_user=per_user)

    def start_worker(self, job: Job | None) -> WorkerProcess:
        ctx = self._context
        jobs, child = ctx.Pipe(duplex=False)
        events, stop, pause, ready = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Event()
        beat = ctx.Value("d", time.monotonic(), lock=False)  # the worker's heartbeat
        process = ctx.Process(target=spare_main,
                              args=(jobs, events, stop, pause, ready, self.memory_mb, beat),
                              name="layerlab-worker", daemon=True)
        process.start()
        jobs.close()  # the child holds the reading end; we keep `child` to write
        # The server only reads events: without its copy of the writing end, a worker's
        # death ends a read it cut off mid-message (EOFError) instead of blocking it.
        events._writer.close()
        return WorkerProcess(process, child, events, stop, pause, ready, self.threads_per_run,
                             beat)


@dataclass(eq=False)
class WorkerProcess(Worker):
    """A started worker process waiting on `jobs` for the one job it will run. Its
    `jobs` pipe stays open until the process is reaped: the worker's sign that the
    server is alive (app.runs.worker.exit_with_server)."""

    process: Any
    jobs: Any
    events: Any
    stop: Any
    pause: Any
    warm: Any  # set once its imports are done
    threads: int | None  # None: its share of the cores as it goes
    beat: Any  # the monotonic time of its last heartbeat (app.runs.worker.heartbeat)

    def begin(self, job: Job, gpu: int | None) -> None:
        """Send the job with this process's environment as it is now (a forked worker
        would otherwise have the fork server's, from when that started)."""
        environment = dict(os.environ)
        if gpu is not None:
            environment = environment_for(gpu, environment)
        self.jobs.send((job, environment, self.threads))

    def signal(self, request: Request) -> None:
        {"stop": self.stop, "pause": self.pause}[request].set()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def receive(self, wait: float) -> list[TrainingEvent]:
        try:
            events = [self.events.get(timeout=wait)]
        except queue.Empty:
            if self.process.is_alive():
                return []
            events = self._leftovers()  # sent before it died
            if not events:
                raise WorkerLost(self._death()) from None
            return events
        except (EOFError, OSError):  # it died in the middle of a message
            self.process.join(1.0)
            raise WorkerLost(self._death()) from None
        with contextlib.suppress(queue.Empty, EOFError, OSError):
            while True:
                events.append(self.events.get_nowait())
        return events

    def retire(self, clean: bool, timeout: float) -> bool:
        """Reap the process (killed if its teardown hangs): a process trains one run."""
        self.process.join(timeout)
        self.kill()
        self.process.join(timeout)
        self.events.close()
        self.jobs.close()
        return False

    def ready(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.warm.wait(0.1):
            if not self.process.is_alive():
                raise WorkerLost(self._death())
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def silent(self, timeout: float) -> str | None:
        """A started process whose heartbeat has not moved for `timeout` seconds is frozen
        (kill -STOP, say). Not judged before its start-up is done, nor once it has ended
        (then `receive` says how)."""
        quiet = time.monotonic() - self.beat.value
        if quiet <= timeout or not self.warm.is_set() or not self.process.is_alive():
            return None
        return f"no heartbeat from its process (pid {self.process.pid}) for {quiet:.0f} s"

    def close(self) -> None:
        """Ask an idle process to end (None), and kill it if it does not."""
        with contextlib.suppress(OSError):
            self.jobs.send(None)
        self.process.join(1.0)
        self.kill()
        self.process.join()
        self.jobs.close()
        self.events.close()

    def _leftovers(self) -> list[TrainingEvent]:
        events = []
        with contextlib.suppress(queue.Empty, EOFError, OSError):
            while True:
                events.append(self.events.get(timeout=0.1))
        return events

    def _death(self) -> str:
        """Why the process ended, from its exit code."""
        code = self.process.exitcode
        if code is None or code >= 0:
            return f"the worker process exited unexpectedly (exit code {code})"
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        why = f"the worker process exited with signal {-code}{name}"
        if -code == signal.SIGKILL:
            why += "; the system may have run out of memory"
        return why
