"""The runs service: create runs, control them, fan their events out to the store and
to live subscribers. The API calls this; it calls the executor and the store."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import torch

from app.datasets import user_uploads
from app.nn.transfer import Matched
from app.runs.artifacts import load_epoch_weights, saved_epochs
from app.runs.executor import Executor
from app.runs.imported_models import imported_weights
from app.runs.origins import OriginError, match_into, origin_of, save_start
from app.runs.recorder import Recorder
from app.runs.run_folders import UnsafeRunId, clear_set_aside, removing, run_folder
from app.runs.run_metrics import (
    MetricPage,
    metric_page,
    snapshot_metrics,
)
from app.runs.run_states import (
    NUMBERED,
    SNAPSHOT_POINTS,
    RunNotFound,
    RunSnapshot,
    RunStateError,
    cannot_resume,
    no_weights_yet,
    numbered_base,
    resumable_failure,
)
from app.runs.worker import Job
from app.spec import NetworkSpec, SpecLimits
from app.spec.events import (
    CONTINUABLE_STATUSES,
    FINAL_STATUSES,
    RESUMABLE_STATUSES,
    BoundaryEvent,
    FinishedEvent,
    RunStatus,
    TrainingEvent,
)
from app.spec.origin import InitFrom, RunOrigin
from app.spec.training import TaskKind, TrainingSpec
from app.store.base import RunQuery, RunRecord, RunStore, StoreUnavailable, owned_by
from app.store.base import RunSort as RunSort  # the API names the sorts it offers
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import Checkpoint, CheckpointError, load_latest
from app.train.journal import read_journal
from app.train.session import check_training, dataset_task

UPLOAD_HOLDING_STATUSES: tuple[RunStatus, ...] = ("running", "queued", "paused", "interrupted")
Subscriber = Callable[[str, TrainingEvent], None]
log = logging.getLogger(__name__)


class RunService:
    def __init__(self, store: RunStore, executor: Executor, runs_dir: Path,
                 limits: SpecLimits | None = None, uploads_dir: Path | None = None) -> None:
        # The store and recorder are private: callers above (the API) go through methods.
        self._store, self.executor, self.runs_dir = store, executor, runs_dir
        self.limits, self.uploads_dir = limits, uploads_dir
        self._recorder = Recorder(store)
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._stop_reasons: dict[str, str] = {}  # run id -> why it is being stopped
        self._boundaries: dict[str, BoundaryEvent] = {}  # the latest, while a run is active
        self._lock = threading.Lock()
        self._naming = threading.Lock()
        self._deleting = threading.Lock()

    def recover(self) -> list[str]:
        """At start-up: runs this server left running or queued when it last stopped are
        interrupted (resuming one continues from its last checkpoint, or starts it over).
        Runs other servers on the same database own are theirs, alive or not."""
        for run_id in clear_set_aside(self.runs_dir):
            log.info("removed the files of run %s, deleted before the server stopped", run_id)
        self._fill_tasks()
        interrupted = self._store.mark_interrupted()
        for run in self._store.list_runs(status="queued", limit=10_000):
            if not self.owns(run):
                continue
            self._store.update_run(run.id, status="interrupted",
                                  error="the server stopped before this run started")
            interrupted.append(run.id)
        return interrupted

    def create(self, spec: NetworkSpec, training: TrainingSpec, name: str | None = None,
               init_from: InitFrom | None = None, owner: str | None = None) -> RunRecord:
        """Validate everything that can be checked without training, then queue the run;
        `init_from` starts it from another run's weights (layers matched by id and shape).
        `owner`: the user it belongs to, on a server with accounts."""
        task = check_training(spec, training, self.limits).task.kind.name
        matched, origin = None, None
        if init_from is not None and init_from.import_id is not None:
            weights = imported_weights(init_from.import_id)
            matched = match_into(spec, weights, f"imported network {init_from.import_id}",
                                 self.limits)
            origin = origin_of(matched, kind="import", run_id=init_from.import_id)
        elif init_from is not None and init_from.run_id is not None:
            source = self.get(init_from.run_id)
            weights = self._source_weights(source, init_from.epoch)
            matched = match_into(spec, weights, f"run {source.id}", self.limits)
            origin = origin_of(matched, kind="transfer", run_id=source.id, epoch=init_from.epoch)
        return self._queue_new(spec, training, name, spec.name, matched, origin, task, owner)

    def continue_run(self, run_id: str, spec: NetworkSpec | None = None,
                     training: TrainingSpec | None = None, name: str | None = None,
                     owner: str | None = None) -> RunRecord:
        """A new run that goes on from a paused or ended run after an edit of its network
        or training settings: every layer whose id and shapes still match keeps its
        weights, and steps and epochs count on from where the run was. The run itself
        is left as it is."""
        parent = self.get(run_id)
        if parent.status not in CONTINUABLE_STATUSES and not resumable_failure(parent):
            raise RunStateError(f"run {run_id} is {parent.status}: pause it first (only "
                                "paused, interrupted, stopped or completed runs continue, "
                                "and runs that failed because of the disk or their worker)")
        spec, training = spec or parent.spec, training or parent.training
        task = check_training(spec, training, self.limits).task.kind.name
        checkpoint = self._usable_checkpoint(parent)
        position = checkpoint.meta["position"]
        if training.epochs <= position["epoch"]:
            raise OriginError(f"run {run_id} is at epoch {position['epoch']}: set "
                              f"training.epochs above it to train on")
        matched = match_into(spec, checkpoint.model, f"run {parent.id}", self.limits)
        origin = origin_of(matched, kind="edit", run_id=parent.id, step=position["step"],
                           start_epoch=position["epoch"])
        return self._queue_new(spec, training, name, parent.name, matched, origin, task,
                               owner)

    def _queue_new(self, spec: NetworkSpec, training: TrainingSpec, name: str | None,
                   default: str, matched: Matched | None, origin: RunOrigin | None,
                   task: TaskKind, owner: str | None = None) -> RunRecord:
        """Queue a new run named `name`, or by default `default` numbered after the runs
        already so named ("MNIST CNN #3", a continuation of it "MNIST CNN #4")."""
        run_id = uuid.uuid4().hex
        if matched is not None:
            save_start(self.run_dir(run_id), matched)
        with self._naming:  # no two runs this server queues take one number
            run = RunRecord(id=run_id, name=name or self._numbered(default), spec=spec,
                            training=training, created_at=datetime.now(UTC), origin=origin,
                            task=task, owner=owner)
            self._store.create_run(run)
        self._submit(run, resume=False)
        return run

    def _numbered(self, name: str) -> str:
        base = numbered_base(name)
        taken = (NUMBERED.fullmatch(other) for other in self._store.run_names(f"{base} #"))
        last = max((int(m["n"]) for m in taken if m and m["base"] == base), default=0)
        return f"{base} #{last + 1}"

    def edit(self, run_id: str, name: str | None = None, tags: Sequence[str] | None = None,
             description: str | None = None) -> RunRecord:
        """Rename a run, or set its tags or description, in any status."""
        self.get(run_id)
        fields: dict[str, object] = {}
        if name is not None:
            fields["name"] = name
        if tags is not None:
            fields["tags"] = list(dict.fromkeys(tags))
        if description is not None:
            fields["description"] = description
        if fields:
            self._store.update_run(run_id, **fields)
        return self.get(run_id)

    def _source_weights(self, run: RunRecord, epoch: int | None) -> dict[str, torch.Tensor]:
        if epoch is None:
            return self._usable_checkpoint(run).model
        kept = saved_epochs(self.run_dir(run.id))
        if epoch not in kept:
            raise OriginError(f"run {run.id} keeps no weights of epoch {epoch} (kept: "
                              f"{', '.join(map(str, kept)) or 'none'})")
        return load_epoch_weights(self.run_dir(run.id), epoch)

    def get(self, run_id: str) -> RunRecord:
        run = self._store.get_run(run_id)
        if run is None:
            raise RunNotFound(run_id)
        return run

    def list_runs(self, status: RunStatus | None = None, limit: int = 50,
                  offset: int = 0) -> list[RunRecord]:
        """Runs, newest first, optionally only those with one status."""
        return self._store.list_runs(status=status, limit=limit, offset=offset)

    def _fill_tasks(self) -> None:
        """Runs stored before their task was kept, whose training named none, get the one
        their dataset gave them, so that filtering by task finds them; a run whose dataset
        can no longer say (an uploaded table deleted since) keeps none."""
        untasked = self._store.untasked_run_ids()
        for start in range(0, len(untasked), 500):
            for run in self._store.get_runs(untasked[start:start + 500]):
                if (task := dataset_task(run.training)) is not None:
                    self._store.update_run(run.id, task=task)

    def find_runs(self, query: RunQuery) -> tuple[list[RunRecord], int]:
        """A page of the runs a query finds (app.store.base.RunQuery), and their number."""
        return self._store.find_runs(query)

    def gpu_seconds(self, owner: str) -> float:
        """The GPU time a user's runs have taken, in all (ended runs; a running one counts
        once it ends)."""
        return self._store.gpu_seconds(owner)

    def using_upload(self, upload_id: str) -> RunRecord | None:
        """A queued, running, paused or interrupted run (one that trains or may train
        again) whose dataset is this upload (a table or an image folder); None when no
        such run exists."""
        for status in UPLOAD_HOLDING_STATUSES:
            for run in self._store.list_runs(status=status, limit=100_000):
                if run.training.dataset.options.get("upload_id") == upload_id:
                    return run
        return None

    def existing(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs of these ids that still exist, in the order asked for (one read)."""
        return self._store.get_runs(run_ids)

    def metrics(self, run_id: str, names: Sequence[str] | None = None,
                since_step: int | None = None, until_step: int | None = None,
                points: int = 0) -> MetricPage:
        """A run's metrics as columns ({step: [...], epoch: [...], name: [...]}, by step),
        after `since_step` and up to `until_step`: at most `points` values a metric (each
        one's lowest and highest of every stretch of steps) when the range holds more
        steps than that; every row with `points` 0, for a range of at most FULL_ROWS steps
        (MetricRangeTooLong beyond). RunNotFound when there is no such run."""
        self.get(run_id)
        return metric_page(self._store, run_id, names, since_step, until_step, points)

    def owns(self, run: RunRecord) -> bool:
        """Whether this server trains the run, or would: servers sharing a database each
        queue, train, stop and pause only their own runs."""
        return owned_by(run, self._store.server_id)

    def _check_here(self, run: RunRecord) -> None:
        """A queued or running run lives in its own server's executor: only that server can
        stop or pause it (servers sharing a database don't signal each other)."""
        if run.status in ("queued", "running") and not self.owns(run):
            raise RunStateError(f"run {run.id} is {run.status} on server {run.server}: stop "
                                "or pause it through that server")

    def flush_records(self) -> None:
        """Until every event received so far is in the store (a run's end, say)."""
        self._recorder.flush()

    def stop(self, run_id: str, reason: str | None = None) -> None:
        """Stop a queued, running or paused run of this server; `reason` replaces "stopped
        on request" as what the run says of its end (a sweep's early stopping says why)."""
        run = self.get(run_id)
        self._check_here(run)
        if run.status in FINAL_STATUSES:
            raise RunStateError(f"run {run_id} is {run.status}: only queued, running or "
                                "paused runs can be stopped")
        if reason is not None:
            with self._lock:
                self._stop_reasons[run_id] = reason
        if run.status in ("running", "queued") and self.executor.stop(run_id):
            return
        self._recorder.flush()  # the worker may have just ended (a pause, say)
        run = self.get(run_id)
        if run.status in FINAL_STATUSES:
            raise RunStateError(f"run {run_id} is {run.status}: it has already ended")
        with self._lock:
            said = self._stop_reasons.pop(run_id, None)
        self._store.update_run(run_id, status="stopped", finished_at=datetime.now(UTC),
                              error=said or "stopped on request")

    def pause(self, run_id: str) -> None:
        """Pause a running run of this server (its weights go to a checkpoint)."""
        run = self.get(run_id)
        self._check_here(run)
        if run.status != "running":
            raise RunStateError(f"run {run_id} is {run.status}: only running runs can pause")
        if not self.executor.pause(run_id):
            raise RunStateError(f"run {run_id} has finished training: its results are "
                                "being saved")

    def resume(self, run_id: str) -> RunRecord:
        """Continue a paused or interrupted run from its last checkpoint, or one that failed
        for a reason outside its network: the disk, or its worker (lost or hung)."""
        run = self.get(run_id)
        if run.status not in RESUMABLE_STATUSES and not resumable_failure(run):
            raise RunStateError(cannot_resume(run))
        job = self._job(run, resume=True)
        self._store.update_run(run_id, status="queued", error=None, failure=None,
                               finished_at=None)
        self.executor.submit(job, self._on_event)
        return self.get(run_id)

    def delete(self, run_id: str) -> None:
        """Remove a run that is not active: its rows and its files together, or neither
        (app.runs.run_folders); then the store gives the space back to the disk."""
        run = self.get(run_id)
        if run.status in ("queued", "running"):  # a finished worker may still be exiting
            raise RunStateError(f"run {run_id} is {run.status}: stop it before deleting it")
        with self._deleting, removing(self.runs_dir, run_id):  # one folder set aside at once
            if not self._store.delete_run(run_id):  # a concurrent delete took it first
                raise RunNotFound(run_id)
        try:
            self._store.reclaim()
        except StoreUnavailable:  # busy now: the next delete or `layerlab db vacuum` does it
            log.warning("the store could not give the space of run %s back yet", run_id)

    def weights(self, run_id: str) -> dict[str, torch.Tensor]:
        """The run's latest trained weights (from its newest usable checkpoint)."""
        return self._usable_checkpoint(self.get(run_id)).model

    def _usable_checkpoint(self, run: RunRecord) -> Checkpoint:
        try:
            return self._checkpoint(run)
        except FileNotFoundError:
            raise no_weights_yet(run) from None
        except CheckpointError as exc:
            raise RunStateError(f"run {run.id}'s checkpoints cannot be used: {exc}") from None

    def _checkpoint(self, run: RunRecord) -> Checkpoint:
        return load_latest(self.run_dir(run.id) / CHECKPOINT_NAME).checkpoint

    def subscribe(self, run_id: str, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` for each event of the run; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.setdefault(run_id, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(run_id, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:  # a run nobody follows keeps no entry
                    self._subscribers.pop(run_id, None)

        return unsubscribe

    def followed(self) -> list[str]:
        """The runs that have subscribers now (an ended subscription leaves nothing)."""
        with self._lock:
            return list(self._subscribers)

    def run_dir(self, run_id: str) -> Path:
        """The run's folder, by the id the store keeps (RunNotFound for one that cannot
        name a folder: no such run was ever made here)."""
        try:
            return run_folder(self.runs_dir, run_id)
        except UnsafeRunId:
            raise RunNotFound(run_id) from None

    def close(self) -> None:
        """Shut down: running runs checkpoint and, like queued ones, become interrupted
        (a later server resumes them)."""
        unfinished = self.executor.shutdown()
        self._recorder.flush()
        for run_id in unfinished:
            run = self._store.get_run(run_id)
            if run is not None and run.status not in FINAL_STATUSES:
                self._store.update_run(run_id, status="interrupted",
                                      error="the server stopped while this run was active")
        self._recorder.close()

    def _submit(self, run: RunRecord, resume: bool) -> None:
        self.executor.submit(self._job(run, resume), self._on_event)

    def _job(self, run: RunRecord, resume: bool) -> Job:
        """The job for a run; resuming drops the metrics its checkpoint does not cover."""
        uploads = None if self.uploads_dir is None else user_uploads(self.uploads_dir, run.owner)
        job = Job(run.id, run.spec, run.training, self.run_dir(run.id), resume, self.limits,
                  run.origin, uploads, owner=run.owner)
        if not resume:
            return job
        step = -1  # no checkpoint yet: start over
        if job.has_checkpoint:
            try:  # the one the worker will resume from: the newest usable
                step = int(self._checkpoint(run).meta["position"]["step"])
            except (OSError, KeyError, TypeError, ValueError) as exc:  # CheckpointError too
                raise RunStateError(f"run {run.id} cannot resume: {exc}; delete the run or "
                                    "start a new one") from None
        # what the checkpoint covers but the store lacks (a server died before storing
        # it) comes back from the journal beside the checkpoint; what it does not cover
        # goes, and is trained and reported again
        self._recorder.restore(run.id, read_journal(job.run_dir, step))
        self._store.delete_metrics_after(run.id, step)
        return job

    def last_boundary(self, run_id: str) -> BoundaryEvent | None:
        """The decision boundary a running 2-D model streamed last (for late joiners)."""
        with self._lock:
            return self._boundaries.get(run_id)

    def snapshot(self, run_id: str, since_step: int | None = None,
                 points: int = SNAPSHOT_POINTS) -> RunSnapshot:
        """The run as its stream starts: every event so far recorded (a RunNotFound when
        there is no such run), its metrics as step rows (at most `points` values of each
        metric, fewer when it has more than two, each its lowest and highest of a stretch
        of steps, from the store's summaries whatever the run's length) and every epoch
        row, after `since_step` when given, and the decision boundary a running 2-D model
        streamed last."""
        self._recorder.flush()
        run = self.get(run_id)
        found = snapshot_metrics(self._store, run_id, since_step, points)
        return RunSnapshot(run, found.metrics, self.last_boundary(run_id),
                           total_steps=found.total_steps, downsampled=found.downsampled)

    def _on_event(self, run_id: str, event: TrainingEvent) -> None:
        """Called on a worker's monitor thread: nothing here may raise or block, but for
        a run's end, which is stored before any subscriber hears of it (so one that reads
        the run then sees it ended); it comes once a run, and waits one batch's write."""
        if isinstance(event, FinishedEvent):
            with self._lock:
                said = self._stop_reasons.pop(run_id, None)
            if said is not None and event.status == "stopped":
                event = event.model_copy(update={"reason": said})
        self._recorder.record(run_id, event)
        if isinstance(event, FinishedEvent):
            self._recorder.flush()
        with self._lock:
            if isinstance(event, BoundaryEvent):
                self._boundaries[run_id] = event
            elif isinstance(event, FinishedEvent):
                self._boundaries.pop(run_id, None)
            callbacks = list(self._subscribers.get(run_id, []))
        for callback in callbacks:
            try:
                callback(run_id, event)
            except Exception:  # a broken subscriber must not stop the run's events
                log.exception("a subscriber of run %s failed", run_id)
