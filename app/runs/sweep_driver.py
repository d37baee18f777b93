"""What keeps a sweep going while its trials train: a search that learns asks for each next
configuration as trials end, and early stopping judges each trial at each epoch.

Trial runs report to the runs service's subscribers on their workers' monitor threads,
which must not block; their events are handed to one thread here, which reads and
writes the sweep in the store, asks the search (app.runs.sweep_search) and queues or
stops runs through the runs service, one event at a time.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.runs.score import score
from app.runs.service import RunNotFound, RunService, RunStateError
from app.runs.sweep_search import Known, Search, State
from app.spec.events import FINAL_STATUSES, EpochEvent, FinishedEvent, TrainingEvent
from app.spec.sweep import Params, SweepError, SweepSpec
from app.store.base import RunRecord, RunStore, SweepRecord, Trial

log = logging.getLogger(__name__)
SEARCH_PARALLEL = 4
"""Configurations a search trains at once when the executor runs any number of runs."""
ASK_ATTEMPTS = 20
"""Configurations a search may propose that do not fit the network before it gives up."""

QueueTrial = Callable[[SweepRecord, Params, int, int], Trial]
"""Queues one run of a configuration (values, configuration number, repeat)."""


@dataclass(frozen=True)
class _Event:
    run_id: str
    event: TrainingEvent | None  # None: the run had ended before it was watched


class SweepDriver:
    """Searches and early stopping for the sweeps of this server."""

    def __init__(self, runs: RunService, store: RunStore, queue_trial: QueueTrial) -> None:
        self.runs, self._store, self._queue_trial = runs, store, queue_trial
        self._searches: dict[str, Search] = {}  # sweep id -> its study, while it lives here
        self._numbers: dict[tuple[str, int], int] = {}  # (sweep, configuration) -> trial no.
        self._sweep_of: dict[str, str] = {}  # watched run id -> its sweep's id
        self._unwatch: dict[str, Callable[[], None]] = {}  # watched run id -> unsubscribe
        self._lock = threading.Lock()
        self._events: queue.Queue[_Event | Callable[[], object] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._loop, name="sweep-driver", daemon=True)
        self._thread.start()

    # -- what the sweeps service calls -------------------------------------------------

    def needed(self, sweep: SweepSpec) -> bool:
        return sweep.adaptive or sweep.early_stopping != "none"

    def start(self, record: SweepRecord) -> None:
        """Watch the sweep's unfinished trials; a search fills its free places."""
        if not self.needed(record.sweep):
            return
        self._post(lambda: self._start(record.id))

    def stopped(self, sweep_id: str) -> None:
        """Forget the sweep's study: resuming it rebuilds it from the store."""
        self._post(lambda: self._searches.pop(sweep_id, None))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every event handed over so far is handled (tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        self._events.put(None)
        self._thread.join(timeout=5)

    # -- the thread ---------------------------------------------------------------------

    def _post(self, action: Callable[[], object]) -> None:
        with self._idle:
            self._busy += 1
        self._events.put(action)

    def _on_event(self, run_id: str, event: TrainingEvent) -> None:
        """A trial's event, on its worker's monitor thread: handed over, never handled."""
        if isinstance(event, (EpochEvent, FinishedEvent)):
            with self._idle:
                self._busy += 1
            self._events.put(_Event(run_id, event))

    def _loop(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            try:
                if isinstance(item, _Event):
                    self._handle(item)
                else:
                    item()
            except Exception:  # one sweep's trouble must not stop the others'
                log.exception("a sweep's event could not be handled")
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _handle(self, item: _Event) -> None:
        sweep_id = self._sweep_of.get(item.run_id)
        record = self._store.get_sweep(sweep_id) if sweep_id else None
        if record is None:
            return
        if isinstance(item.event, EpochEvent):
            self._judge(record, item.run_id, item.event)
            return
        # its end (handled once: a resumed trial is watched again)
        self._sweep_of.pop(item.run_id, None)
        unwatch = self._unwatch.pop(item.run_id, None)
        if unwatch is not None:
            unwatch()
        self.runs.flush_records()  # the run's end is in the store before it is read
        self._finished(record, item.run_id)

    # -- starting, asking, judging --------------------------------------------------------

    def _start(self, sweep_id: str) -> None:
        record = self._store.get_sweep(sweep_id)
        if record is None:
            return
        self._search(record)
        for trial in record.trials:
            self._watch(record.id, trial.run_id)
        self._fill(record)

    def _watch(self, sweep_id: str, run_id: str) -> None:
        if run_id in self._sweep_of:
            return
        self._sweep_of[run_id] = sweep_id
        self._unwatch[run_id] = self.runs.subscribe(run_id, self._on_event)
        try:
            ended = self.runs.get(run_id).status in FINAL_STATUSES
        except RunNotFound:
            return
        if ended:  # it ended before it was watched
            with self._idle:
                self._busy += 1
            self._events.put(_Event(run_id, None))

    def _search(self, record: SweepRecord) -> Search:
        """The sweep's study, rebuilt from its trials the first time."""
        found = self._searches.get(record.id)
        if found is not None:
            return found
        configs: dict[int, list[Trial]] = {}
        for trial in record.trials:
            configs.setdefault(trial.config, []).append(trial)
        known, numbers = [], {}
        for number, (config, trials) in enumerate(sorted(configs.items())):
            known.append(self._known(record.sweep, trials))
            numbers[config] = number
        search = Search(record.sweep, known)
        self._searches[record.id] = search
        for config, number in numbers.items():
            self._numbers[(record.id, config)] = number
        return search

    def _known(self, sweep: SweepSpec, trials: list[Trial]) -> Known:
        runs = self.runs.existing([t.run_id for t in trials])
        params = trials[0].params
        if any(run.status not in FINAL_STATUSES for run in runs):
            epochs = self._epochs(sweep, runs[0].id) if len(trials) == 1 and runs else {}
            return Known(params, "running", epochs=epochs)
        if any(t.pruned_at is not None for t in trials):
            return Known(params, "pruned", epochs=self._epochs(sweep, trials[0].run_id))
        value = _mean(sweep, runs)
        state: State = "complete" if value is not None else "failed"
        epochs = self._epochs(sweep, trials[0].run_id) if len(trials) == 1 else {}
        return Known(params, state, value, epochs)

    def _epochs(self, sweep: SweepSpec, run_id: str) -> dict[int, float]:
        """The sweep's metric at each epoch (from 0) of a run, as stored."""
        if sweep.early_stopping == "none":
            return {}
        name = f"epoch_{sweep.metric}" if sweep.metric.startswith("train_") else sweep.metric
        try:
            columns = self.runs.metrics(run_id, names=[name]).columns
        except RunNotFound:
            return {}
        out: dict[int, float] = {}
        for epoch, value in zip(columns.get("epoch", []), columns.get(name, []), strict=False):
            if epoch is not None and value is not None and math.isfinite(value):
                out[int(epoch)] = float(value)
        return out

    def _fill(self, record: SweepRecord) -> None:
        """Queue configurations the search asks for while places are free."""
        sweep = record.sweep
        if not sweep.adaptive or record.stopped:
            return
        search = self._search(record)
        trials = list(record.trials)
        made = 1 + max((t.config for t in trials), default=-1)
        runs = {run.id: run for run in self.runs.existing([t.run_id for t in trials])}
        active = sum(1 for t in trials if t.run_id in runs and runs[t.run_id].status in
                     ("queued", "running"))
        limit = getattr(self.runs.executor, "max_concurrent", None) or SEARCH_PARALLEL
        places = max(1, limit) * sweep.repeats
        attempts = 0
        assert sweep.trials is not None  # an adaptive sweep names its trials
        while made < sweep.trials and active < places and attempts < ASK_ATTEMPTS:
            number, params = search.ask()
            try:
                queued = [self._queue_trial(record, params, made, repeat)
                          for repeat in range(sweep.repeats)]
            except SweepError as exc:  # the search proposed values the network refuses
                log.info("sweep %s: %s", record.id, exc)
                search.tell(number, "failed")
                attempts += 1
                continue
            self._numbers[(record.id, made)] = number
            trials.extend(queued)
            self._store.update_sweep(record.id, trials=trials)
            for trial in queued:
                self._watch(record.id, trial.run_id)
            made += 1
            active += sweep.repeats

    def _judge(self, record: SweepRecord, run_id: str, event: EpochEvent) -> None:
        """Early stopping: report the epoch's metric; stop the trial if it lags."""
        sweep = record.sweep
        value = event.metrics.get(sweep.metric)
        trial = next((t for t in record.trials if t.run_id == run_id), None)
        if (sweep.early_stopping == "none" or value is None or trial is None
                or trial.pruned_at is not None):  # judged once: its stop is under way
            return
        number = self._numbers.get((record.id, trial.config))
        if number is None or not self._search(record).report(number, event.epoch, value):
            return
        epoch = event.epoch + 1
        than = ("the median of the other trials'" if sweep.early_stopping == "median"
                else "the rest of its Hyperband bracket's")
        reason = f"pruned at epoch {epoch} ({sweep.metric} {value:.4g} worse than {than})"
        trials = [t.model_copy(update={"pruned_at": epoch}) if t.run_id == run_id else t
                  for t in record.trials]
        self._store.update_sweep(record.id, trials=trials)
        with contextlib.suppress(RunStateError, RunNotFound):  # it ended meanwhile
            self.runs.stop(run_id, reason=reason)

    def _finished(self, record: SweepRecord, run_id: str) -> None:
        """A trial ended: when its configuration's runs all have, tell the search."""
        trial = next((t for t in record.trials if t.run_id == run_id), None)
        if trial is None:
            return
        siblings = [t for t in record.trials if t.config == trial.config]
        runs = self.runs.existing([t.run_id for t in siblings])
        if any(run.status not in FINAL_STATUSES for run in runs):
            return
        finished = {run.id for run in runs if run.status == "completed"}
        if any(t.pruned_at is not None and t.run_id in finished for t in siblings):
            # it ended before its stop reached it: a whole run, not a pruned one
            trials = [t.model_copy(update={"pruned_at": None}) if t.run_id in finished else t
                      for t in record.trials]
            self._store.update_sweep(record.id, trials=trials)
            siblings = [t for t in trials if t.config == trial.config]
        number = self._numbers.get((record.id, trial.config))
        search = self._searches.get(record.id)
        if number is not None and search is not None:
            if any(t.pruned_at is not None for t in siblings):
                search.tell(number, "pruned")
            else:
                value = _mean(record.sweep, runs)
                search.tell(number, "complete" if value is not None else "failed", value)
        self._fill(record)


def _mean(sweep: SweepSpec, runs: list[RunRecord]) -> float | None:
    """The mean score of a configuration's completed runs (None when none completed)."""
    values = [found.value for run in runs if run.status == "completed"
              and (found := score(run, sweep.metric)) is not None]
    return sum(values) / len(values) if values else None
