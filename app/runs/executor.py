"""Executors place jobs somewhere and report their events. The local one runs each job
in its own spawned process, a few at a time; a Ray executor can plug in later."""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.runs.worker import Job, worker_main
from app.spec.events import FinishedEvent, TrainingEvent

OnEvent = Callable[[str, TrainingEvent], None]


class Executor(ABC):
    """Runs jobs and calls on_event(run_id, event) for each event, ending with a
    FinishedEvent for every submitted job, whatever happens to its process."""

    @abstractmethod
    def submit(self, job: Job, on_event: OnEvent) -> None: ...

    @abstractmethod
    def stop(self, run_id: str) -> bool:
        """Ask a run to stop (cooperatively, killed after a timeout). False if unknown."""

    @abstractmethod
    def pause(self, run_id: str) -> bool:
        """Ask a running run to checkpoint and end as paused. False if not running."""

    @abstractmethod
    def active(self) -> set[str]:
        """Ids of queued and running jobs."""

    @abstractmethod
    def shutdown(self) -> None: ...


@dataclass
class _Worker:
    job: Job
    on_event: OnEvent
    process: Any = None
    events: Any = None
    stop: Any = None
    pause: Any = None
    stop_requested: bool = False
    finished: bool = False
    monitor: threading.Thread | None = field(default=None, repr=False)


class LocalProcessExecutor(Executor):
    """One spawned process per run, at most `max_concurrent` at once, the rest queued."""

    def __init__(self, max_concurrent: int = 2, stop_timeout: float = 10.0) -> None:
        self.max_concurrent = max_concurrent
        self.stop_timeout = stop_timeout
        self._context = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._pending: deque[_Worker] = deque()
        self._running: dict[str, _Worker] = {}
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
            if worker is not None:
                worker.stop_requested = True
                worker.stop.set()
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
                worker.pause.set()
        return worker is not None

    def active(self) -> set[str]:
        with self._lock:
            return {w.job.run_id for w in self._pending} | set(self._running)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._pending.clear()
            workers = list(self._running.values())
        for worker in workers:
            worker.stop_requested = True
            worker.stop.set()
        for worker in workers:
            worker.process.join(self.stop_timeout)
            self._kill(worker)
            if worker.monitor is not None:
                worker.monitor.join(self.stop_timeout)

    def _start_pending(self) -> None:
        with self._lock:
            while self._pending and len(self._running) < self.max_concurrent:
                worker = self._pending.popleft()
                self._launch(worker)
                self._running[worker.job.run_id] = worker

    def _launch(self, worker: _Worker) -> None:
        ctx = self._context
        worker.events, worker.stop, worker.pause = ctx.Queue(), ctx.Event(), ctx.Event()
        worker.process = ctx.Process(target=worker_main, name=f"layerlab-{worker.job.run_id}",
                                     args=(worker.job, worker.events, worker.stop, worker.pause),
                                     daemon=True)
        worker.process.start()
        worker.monitor = threading.Thread(target=self._watch, args=(worker,), daemon=True,
                                          name=f"watch-{worker.job.run_id}")
        worker.monitor.start()

    def _watch(self, worker: _Worker) -> None:
        """Forward events until the process ends; a silent death becomes a failure."""
        run_id = worker.job.run_id
        while not worker.finished:
            try:
                event = worker.events.get(timeout=0.2)
            except queue.Empty:
                if not worker.process.is_alive():
                    self._drain(worker)
                    break
                continue
            self._forward(worker, event)
        if not worker.finished:
            worker.on_event(run_id, self._death_event(worker))
        worker.process.join()
        worker.events.close()
        with self._lock:
            if self._running.get(run_id) is worker:  # a resumed run may already be back
                del self._running[run_id]
        self._start_pending()

    def _drain(self, worker: _Worker) -> None:
        while not worker.finished:
            try:
                self._forward(worker, worker.events.get(timeout=0.1))
            except queue.Empty:
                return

    def _forward(self, worker: _Worker, event: TrainingEvent) -> None:
        worker.finished = event.kind == "finished"
        worker.on_event(worker.job.run_id, event)

    def _death_event(self, worker: _Worker) -> FinishedEvent:
        code = worker.process.exitcode
        if worker.stop_requested:
            return FinishedEvent(status="stopped", epoch=0, step=0,
                                 reason=f"killed after {self.stop_timeout:g} s without stopping")
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            why = f"the worker process was killed ({name})"
            if -code == signal.SIGKILL:
                why += "; the system may have run out of memory"
        else:
            why = f"the worker process exited unexpectedly (exit code {code})"
        return FinishedEvent(status="failed", epoch=0, step=0, reason=why)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process is not None and worker.process.is_alive():
            worker.process.kill()
