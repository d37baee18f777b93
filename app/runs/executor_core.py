"""The executor core: what every executor does the same way, written once.

It keeps the pending queue, fair among users (a job's `owner`): each owner's runs go in
their order of arrival and owners take turns, the one with the fewest runs placed first
(one user alone: first come, first placed); a run waiting for a GPU slot, or whose owner
has `per_user` runs placed, lets the runs behind it go ahead. It ends a queued run that
is stopped before it started without ever starting it, passes stop and pause requests
on and kills a worker that has not stopped `stop_timeout` seconds after a stop, fails
the run of a worker silent for `worker_timeout` seconds (no heartbeat; or no event once
the run started, for ten times that: app.runs.watchdog) and kills that worker, keeps the
warm pool (spares started ahead while nothing runs, fresh workers started for the runs
that wait for one, and workers freed by runs that ended cleanly, where a worker serves
several runs), holds at most `max_concurrent` runs at once, and on shutdown pauses what
runs and reports what did not finish.

A concrete executor writes only two parts:

1. **Placing.** `start_worker(job)` starts a `Worker` (a process, a Ray actor, a batch
   job): a default one for the pool when `job` is None, else one for that job alone
   (see `poolable`). The worker's `begin(job, gpu)` hands it a run, `signal(request)`
   passes "stop" or "pause" on, and `kill()` ends it at once.
2. **Watching.** The worker's `receive(wait)` brings the run's events back in order and
   raises `WorkerLost`, with the reason, once the worker has gone without the run's
   final event; `retire(clean, timeout)`, after the run's end, says whether the worker
   may serve another run (by default it is ended).

Optional: `refuse(job)` (a job this executor can never place fails at once),
`poolable(job)` (False for jobs that need a worker of their own), and a worker's
`ready`, `alive`, `silent` (a heartbeat) and `close`. The core calls `begin`, `receive`
and `retire` on the run's own monitor thread, `silent` and `kill` on its watchdog
(app.runs.watchdog), and every other hook from the threads that submit, stop, pause or
shut down, so a worker must take `signal`, `silent` and `kill` while it is being watched.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections import Counter, deque

from app.runs.executor import Executor, OnEvent
from app.runs.fair_queue import fair_order
from app.runs.gpus import GpuSlots
from app.runs.placement import CLEAN_ENDS, Plan, Submission, Worker, WorkerLost, ended
from app.runs.warm_pool import WarmPool
from app.runs.watchdog import start_watchdog
from app.runs.worker import Job
from app.spec.events import FinishedEvent

WAIT = 0.25  # seconds a receive waits for a first event: how soon a lost worker is seen
WORKER_TIMEOUT = 120.0  # seconds of silence that fail a run: longer than a slow epoch's
NO_WORKER = "could not start a worker"


class ExecutorCore(Executor):
    """An executor that places each job on a worker and watches it; subclasses write the
    two parts the module's docstring names. `max_concurrent`: runs placed at once (None:
    no limit, the platform queues). `spares`: default workers kept started ahead.
    `gpu_slots`: GPUs a run that may use one must hold one of while it runs (none by
    default). `fresh_at_once`: default workers started at once for waiting runs (None: as
    many as runs wait). `worker_timeout`: seconds a started run's worker may go without a
    heartbeat (its training without an event: ten times that) before the run fails ("the worker
    stopped responding") and the worker is killed and replaced. `per_user`: runs of one
    owner placed at once (None: no limit; runs with no owner are never held by it). A
    subclass sets its own attributes first and calls this `__init__` last: it starts
    the spares."""

    def __init__(self, max_concurrent: int | None = None, stop_timeout: float = 10.0,
                 spares: int = 0, gpu_slots: GpuSlots | None = None,
                 fresh_at_once: int | None = None,
                 worker_timeout: float = WORKER_TIMEOUT,
                 per_user: int | None = None) -> None:
        self.max_concurrent = max_concurrent
        self.per_user = per_user
        self.stop_timeout = stop_timeout
        self.worker_timeout = worker_timeout
        self.gpu_slots = gpu_slots or GpuSlots(0)
        self._lock = threading.Lock()
        self._pending: deque[Submission] = deque()
        self._placed: dict[str, Submission] = {}
        self._turns = 0  # placements so far: numbers them for `_served`
        self._served: dict[str | None, int] = {}  # owner -> its latest placement's number
        self._pool = WarmPool(lambda: self.start_worker(None), spares, fresh_at_once)
        self._closed = False
        self._replenish()

    @abstractmethod
    def start_worker(self, job: Job | None) -> Worker:
        """A new worker: a default one (for the pool) when `job` is None, else one fit for
        `job` alone. Raises OSError when it cannot be started."""

    def refuse(self, job: Job) -> str | None:
        """Why this executor can never place `job` (it fails at once), or None."""
        return None

    def poolable(self, job: Job) -> bool:
        """Whether a default worker can train `job` (else it gets a worker of its own)."""
        return True

    def submit(self, job: Job, on_event: OnEvent) -> None:
        refusal = self.refuse(job)
        if refusal is not None:
            on_event(job.run_id, ended("failed", refusal))
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is shut down")
            self._pending.append(Submission(job, on_event))
        self._dispatch()

    def stop(self, run_id: str) -> bool:
        with self._lock:
            queued = next((s for s in self._pending if s.run_id == run_id), None)
            if queued is not None:
                self._pending.remove(queued)
            run = self._placed.get(run_id) if queued is None else None
            if run is not None and run.finished:
                run = None  # it already ended (a pause, say): nothing to stop
            if run is not None:
                run.stop_requested = True
                run.stopped_early = not run.started
        if queued is not None:
            queued.on_event(run_id, ended("stopped", "stopped before it started"))
            return True
        if run is None:
            return False
        if run.stopped_early:  # nothing to save yet, and it may wait long for resources
            run.worker.kill()
            return True
        run.worker.signal("stop")
        timer = threading.Timer(self.stop_timeout, self._kill_unfinished, args=(run,))
        timer.daemon = True
        timer.start()
        return True

    def pause(self, run_id: str) -> bool:
        with self._lock:
            run = self._placed.get(run_id)
            if run is None or run.finished:
                return False
        run.worker.signal("pause")
        return True

    def active(self) -> set[str]:
        with self._lock:
            return {s.run_id for s in self._pending} | set(self._placed)

    def queue_position(self, run_id: str) -> int | None:
        with self._lock:
            order = self._fair_order()
        return next((n for n, run in enumerate(order, 1) if run.run_id == run_id), None)

    def worker_of(self, run_id: str) -> Worker | None:
        """The worker a run trains on; None while it is queued or once it has gone."""
        with self._lock:
            run = self._placed.get(run_id)
            return None if run is None else run.worker

    def shutdown(self) -> set[str]:
        """Pause every started run (each writes a checkpoint), end the placed ones that
        have not started and drop the queue; returns the ids of all of these, which are
        interrupted. A run that has not paused after `stop_timeout` is killed."""
        with self._lock:
            self._closed = True
            runs = list(self._placed.values())
            interrupted = ({s.run_id for s in self._pending}
                           | {r.run_id for r in runs if not r.finished})
            self._pending.clear()
            spare = self._pool.empty()
        for run in runs:
            if run.started:
                run.worker.signal("pause")
            else:
                run.dropped = True
                run.worker.kill()
        for worker in spare:
            worker.close()
        self._join(runs, time.monotonic() + self.stop_timeout)
        for run in runs:
            run.worker.kill()
        self._join(runs, time.monotonic() + self.stop_timeout)
        return interrupted

    def wait_until_warm(self, timeout: float = 60.0) -> bool:
        """Block until all `spares` exist and have done their start-up (True), or until
        the timeout (False). Spares are started only while nothing runs."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                idle = list(self._pool.idle)
            try:
                if len(idle) >= self._pool.spares and all(
                        worker.ready(max(0.0, deadline - time.monotonic())) for worker in idle):
                    return True
            except WorkerLost:
                pass  # a spare died: the pool replaces it once a run has taken it
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _dispatch(self) -> None:
        """Place what the queue allows, start fresh workers for runs that wait for one,
        and end the idle workers the pool does not keep."""
        plan = self._plan()
        for worker in plan.surplus:
            worker.close()
        for run, why in plan.failed:
            run.on_event(run.run_id, ended("failed", why, cause="worker"))
        for run in plan.placed:
            run.monitor = threading.Thread(target=self._watch, args=(run,), daemon=True,
                                           name=f"watch-{run.run_id}")
            run.monitor.start()
        for worker in plan.fresh:
            threading.Thread(target=self._offer_when_ready, args=(worker,), daemon=True,
                             name="fresh-worker").start()

    def _plan(self) -> Plan:
        """Under the lock: the queue in its fair order, within the limits; a run that
        cannot have its GPU slot yet, or whose owner has `per_user` runs placed, stays
        queued and the next may go ahead."""
        plan = Plan()
        waiting: list[Submission] = []  # placeable, but with no worker yet
        with self._lock:
            held = self._held_by_owner()  # placed, or waiting for a worker in this pass
            for run in self._pending:
                run.awaits_worker = False
            for run in self._fair_order():
                if self._closed or self._full(len(self._placed) + len(waiting)):
                    break
                if self._owner_full(run.job.owner, held) or not self._claim_gpu(run):
                    continue
                worker = self._take_worker(run, plan)
                if worker is not None:
                    self._place(run, worker, plan)
                elif run in self._pending:  # its GPU slot is held for this pass, so the
                    waiting.append(run)     # runs behind it see only the GPUs left
                    run.awaits_worker = True
                else:
                    self._free_gpu(run)  # its own worker failed to start
                    continue
                held[run.job.owner] += 1
            for run in waiting:
                self._free_gpu(run)  # taken again when a worker is ready for it
            self._start_fresh(waiting, plan)
            plan.surplus += self._pool.surplus()
        return plan

    def _full(self, taken: int) -> bool:
        return self.max_concurrent is not None and taken >= self.max_concurrent

    def _fair_order(self) -> list[Submission]:
        """Under the lock: the queue in its fair order (app.runs.fair_queue)."""
        return fair_order(self._pending, self._held_by_owner(), self._served, self._turns)

    def _held_by_owner(self) -> Counter[str | None]:
        """Under the lock: how many placed runs each owner has."""
        return Counter(run.job.owner for run in self._placed.values())

    def _owner_full(self, owner: str | None, held: Counter[str | None]) -> bool:
        return self.per_user is not None and owner is not None and held[owner] >= self.per_user

    def _place(self, run: Submission, worker: Worker, plan: Plan) -> None:
        """Under the lock: the run leaves the queue for `worker`."""
        self._pending.remove(run)
        run.placed_on = worker
        self._placed[run.run_id] = run
        self._turns += 1
        self._served[run.job.owner] = self._turns
        plan.placed.append(run)

    def _take_worker(self, run: Submission, plan: Plan) -> Worker | None:
        """Under the lock: a worker of its own for a job that needs one, else the
        warmest idle worker still alive, else None (it waits for a fresh one)."""
        if not self.poolable(run.job):
            try:
                return self.start_worker(run.job)
            except OSError as exc:
                self._pending.remove(run)
                plan.failed.append((run, f"{NO_WORKER}: {exc}"))
                return None
        return self._pool.take(plan.surplus)

    def _start_fresh(self, waiting: list[Submission], plan: Plan) -> None:
        """Under the lock: fresh default workers for the waiting runs (see WarmPool)."""
        for run in self._pool.unserved(waiting):
            try:
                plan.fresh.append(self._pool.start_fresh())
            except OSError as exc:
                self._pending.remove(run)
                plan.failed.append((run, f"{NO_WORKER}: {exc}"))

    def _offer_when_ready(self, worker: Worker) -> None:
        """A fresh worker, once started, joins the pool: the first waiting run takes it
        (another worker may have served that run meanwhile). One that died starting
        fails the first run waiting for a worker, so a worker that cannot start is not
        retried forever."""
        lost = None
        try:
            ready = worker.ready(None)
        except WorkerLost as exc:
            ready, lost = False, str(exc)
        with self._lock:
            ours, kept = self._pool.started(worker, ready, not self._closed)
            # not the queue's head: that may be a run waiting for a GPU, not for a worker
            failed = next((s for s in self._pending if s.awaits_worker), None) if (
                ours and lost) else None
            if failed is not None:
                self._pending.remove(failed)
        if not kept:
            worker.close()
        if failed is not None:
            failed.on_event(failed.run_id, ended("failed", f"its worker died starting: {lost}",
                                                 cause="worker"))
        self._dispatch()

    def _watch(self, run: Submission) -> None:
        """Begin the run on its worker and forward its events until the final one; a
        lost worker ends the run with the reason. Then the worker is released."""
        lost = None
        try:
            try:
                run.worker.begin(run.job, run.gpu)
                run.heard = time.monotonic()
                start_watchdog(run, self.worker_timeout, WAIT)
                while not run.finished:
                    events = run.worker.receive(WAIT)
                    for event in events:
                        run.forward(event)
                    run.heard = time.monotonic() if events else run.heard
                    if run.hung is not None and not run.finished:
                        raise WorkerLost(run.hung)
            except OSError as exc:  # the worker could not take the job
                lost = f"could not start the run on its worker: {exc}"
            except WorkerLost as exc:
                lost = run.hung or str(exc)  # a hung worker's loss is told by its hang
            if lost is not None and not run.finished and not run.dropped:
                run.forward(self._lost_event(run, lost))
        finally:
            self._release(run, clean=lost is None and run.status in CLEAN_ENDS)

    def _lost_event(self, run: Submission, why: str) -> FinishedEvent:
        if not run.stop_requested:
            return ended("failed", why, cause="worker")
        if run.stopped_early:
            return ended("stopped", "stopped before it started")
        return ended("stopped", f"killed after {self.stop_timeout:g} s without stopping")

    def _release(self, run: Submission, clean: bool) -> None:
        """After the run's last event: its worker goes back to the pool if it may serve
        again, its GPU slot is freed, and the queue moves on."""
        reuse = run.worker.retire(clean and self.poolable(run.job), self.stop_timeout)
        with self._lock:
            self._free_gpu(run)
            if self._placed.get(run.run_id) is run:  # a resumed run may already be back
                del self._placed[run.run_id]
            pooled = reuse and not self._closed
            if pooled:
                self._pool.give_back(run.worker)
        if reuse and not pooled:
            run.worker.close()
        self._dispatch()
        self._replenish()

    def _replenish(self) -> None:
        """Start spares only while nothing runs or waits."""
        with self._lock:
            if not (self._closed or self._placed or self._pending):
                self._pool.fill()

    def _kill_unfinished(self, run: Submission) -> None:
        """A stop's deadline: the worker ends unless the run has ended (its worker may
        serve another run by now)."""
        if not run.finished:
            run.worker.kill()

    def _claim_gpu(self, run: Submission) -> bool:
        """Under the lock: a GPU slot for a run that would train on a GPU (False when
        none is free); other runs need none."""
        if self.gpu_slots.wants(run.job.training):
            run.gpu = self.gpu_slots.take()
            return run.gpu is not None
        return True

    def _free_gpu(self, run: Submission) -> None:
        if run.gpu is not None:
            self.gpu_slots.give_back(run.gpu)
            run.gpu = None

    @staticmethod
    def _join(runs: list[Submission], deadline: float) -> None:
        for run in runs:
            if run.monitor is not None and run.monitor.ident is not None:  # started
                run.monitor.join(max(0.0, deadline - time.monotonic()))
