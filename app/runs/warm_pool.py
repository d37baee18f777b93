"""The warm pool of the executor core: default workers started before a run needs one.
Spares are started while nothing runs; fresh workers are started for the runs that wait
for one, at most `fresh_at_once` at a time, and join the pool once ready; a worker freed
by a run that ended cleanly comes back first (it is the warmest). Every method is
called under the executor's lock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from app.runs.placement import Worker

T = TypeVar("T")


class WarmPool:
    def __init__(self, start: Callable[[], Worker], spares: int,
                 fresh_at_once: int | None) -> None:
        """`start`: a new default worker (raises OSError when it cannot)."""
        self.start, self.spares, self.fresh_at_once = start, spares, fresh_at_once
        self.idle: list[Worker] = []  # ready or starting up, with nothing to do
        self.starting: list[Worker] = []  # started for waiting runs, not yet ready

    def take(self, dead: list[Worker]) -> Worker | None:
        """The warmest idle worker still alive, or None; dead ones go to `dead`."""
        while self.idle:
            worker = self.idle.pop(0)
            if worker.alive():
                return worker
            dead.append(worker)  # died while idle (the OOM killer, say)
        return None

    def unserved(self, waiting: Sequence[T]) -> Sequence[T]:
        """The waiting runs a fresh worker should be started for now: those no starting
        worker will serve, within `fresh_at_once`."""
        wanted = len(waiting)
        if self.fresh_at_once is not None:
            wanted = min(wanted, self.fresh_at_once)
        return waiting[len(self.starting):wanted]

    def start_fresh(self) -> Worker:
        worker = self.start()
        self.starting.append(worker)
        return worker

    def started(self, worker: Worker, ready: bool, open_: bool) -> tuple[bool, bool]:
        """A fresh worker's start-up is over: (whether the pool still held it, whether it
        joins the idle ones). A shutdown takes every starting worker away."""
        ours = worker in self.starting
        if ours:
            self.starting.remove(worker)
        kept = ours and ready and open_
        if kept:
            self.idle.append(worker)
        return ours, kept

    def give_back(self, worker: Worker) -> None:
        """A worker freed by a clean end: warmer than any spare."""
        self.idle.insert(0, worker)

    def surplus(self) -> list[Worker]:
        """Idle workers beyond `spares`, taken out to be closed."""
        extra = self.idle[self.spares:]
        del self.idle[self.spares:]
        return extra

    def fill(self) -> None:
        """Start spares up to `spares` (the executor calls it only while nothing runs:
        a spare's start-up takes CPU a running job would otherwise have)."""
        try:
            while len(self.idle) < self.spares:
                self.idle.append(self.start())
        except OSError:
            pass  # a spare only saves time: a run starts a fresh worker instead

    def empty(self) -> list[Worker]:
        """Every idle and starting worker, taken out to be closed (at shutdown)."""
        workers = self.idle + self.starting
        self.idle, self.starting = [], []
        return workers
