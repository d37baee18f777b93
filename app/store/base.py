"""The store's interface and its records: a run, a sweep and a metric row as they are
kept, and the RunStore protocol every backend (SQLite or PostgreSQL, `app.store.sql`)
implements. The runs service above writes through this protocol only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import BaseModel, Field, JsonValue

from app.spec import NetworkSpec
from app.spec.events import FailureCause, RunStatus
from app.spec.origin import RunOrigin
from app.spec.sweep import SweepSpec
from app.spec.training import TaskKind, TrainingSpec
from app.store.accounts import AccountStore


class RunRecord(BaseModel):
    """One run: its validated spec and training config travel with it."""

    id: str
    name: str
    status: RunStatus = "queued"
    spec: NetworkSpec
    training: TrainingSpec
    spec_version: int = 1
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    device: str | None = None
    epoch: int = 0
    step: int = 0
    error: str | None = None
    failure: FailureCause | None = Field(
        default=None,
        description="Why a failed run failed (see FinishedEvent.cause): one failed for the "
                    "disk or its worker can resume from its last checkpoint.")
    latest_metrics: dict[str, float] = Field(default_factory=dict)
    best_metrics: dict[str, float] = Field(default_factory=dict)
    best_epochs: dict[str, int] = Field(default_factory=dict, description=(
        "The epoch (1 for the first) at which each of best_metrics was reached."))
    test_metrics: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list, description=(
        "What the run told its user as it trained, oldest first: learning-rate advice, "
        "a damaged checkpoint passed over, training on the logits before the output's "
        "softmax. Advice, not errors."))
    origin: RunOrigin | None = Field(
        default=None, description="The run its first weights came from, and which layers.")
    server: str | None = Field(
        default=None,
        description="The server that queued or trains it (LAYERLAB_SERVER_ID): several "
                    "servers may share one database, and only this one can stop or pause "
                    "the run while it is queued or running.")
    tags: list[str] = Field(default_factory=list, description="Labels of the user's own.")
    description: str = Field(default="", description="A note of the user's own.")
    task: TaskKind | None = Field(default=None, description=(
        "The kind of task it trains for, as the server resolved it (its training's own, or "
        "its dataset's first); null for runs stored before it was kept and never given."))
    owner: str | None = Field(default=None, description=(
        "The user it belongs to (their id) where the server has accounts; null on a "
        "server without them, and for runs made before they were turned on."))


# The metric a run is judged by when none is named: the first of these it reports at its
# best epoch (app.runs.score). Kept here, so that the store keeps each run's for sorting.
HEADLINE = ("val_accuracy", "val_loss", "accuracy", "loss")
TEST_HEADLINE = ("test_accuracy", "test_loss")  # its test metric, likewise

RunSort = Literal["created", "name", "status", "network", "dataset", "task", "epochs", "score",
                  "test", "duration", "tags"]


class RunQuery(BaseModel):
    """Which runs to list and in what order: every filter given must hold, and each word of
    `text` must be found (any case) in the name, description, network name, dataset or
    tags. A sort by a value some runs lack (a score, a duration) lists those last, either
    order; ties go newest first."""

    status: list[RunStatus] = Field(default_factory=list, description="Any of these; [] all.")
    dataset: str | None = None
    task: TaskKind | None = None
    text: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    sort: RunSort = "created"
    descending: bool = True
    owners: list[str] | None = Field(default=None, description=(
        "Only runs of these users (None: everyone's; a server with accounts lists a "
        "user's own and their students')."))
    limit: int = Field(default=50, ge=0)
    offset: int = Field(default=0, ge=0)


class Trial(BaseModel):
    """One run of a sweep and the values it tries."""

    run_id: str
    params: dict[str, JsonValue]
    config: int = Field(default=0, description="The configuration this run tries (from 0); "
                                               "its repeats share it.")
    repeat: int = Field(default=0, description="Which of its configuration's runs (seed "
                                               "training.seed + repeat).")
    pruned_at: int | None = Field(default=None, description="The epoch (from 1) after which "
                                                            "early stopping stopped it.")


class SweepRecord(BaseModel):
    """A sweep: the network and settings every trial starts from, what it varies, and
    its trials' runs (the runs hold their own status and metrics)."""

    id: str
    name: str
    created_at: datetime
    spec: NetworkSpec
    training: TrainingSpec
    sweep: SweepSpec
    trials: list[Trial]
    server: str | None = Field(default=None, description="The server that queued it.")
    stopped: bool = Field(default=False, description="Stopped: a search asks for no more "
                                                     "trials until it is resumed.")
    owner: str | None = Field(default=None, description="The user it belongs to (see "
                                                        "RunRecord.owner).")


class MetricRow(BaseModel):
    """One step's (or one epoch's) named values."""

    step: int
    epoch: int
    values: dict[str, float]


def owned_by(run: RunRecord | SweepRecord, server_id: str | None) -> bool:
    """Whether the server `server_id` answers for the run (or sweep): a store that names
    no server owns every one, and one from before they had servers belongs to any."""
    return server_id is None or run.server is None or run.server == server_id


class StoreUnavailable(Exception):
    """The database is locked, down or unreachable: the same call may succeed later."""


class MetricOverview(NamedTuple):
    """Metric columns as get_metrics gives them, and, when they are thinned to a chart's
    resolution, how many rows they stand for (the most any metric has in the range)."""

    columns: dict[str, list[float | int | None]]
    represented: int | None  # None: every row in the range


class RunStore(Protocol):
    """Where runs and their metrics live. Every method is safe to call from any thread,
    and raises StoreUnavailable when the database cannot be reached for now.

    `server_id` names the server the store was opened for: runs it creates, queues or
    starts become that server's (RunRecord.server)."""

    server_id: str | None

    def create_run(self, run: RunRecord) -> None: ...

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set some RunRecord fields (status, started_at, error, metrics...)."""

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def run_names(self, prefix: str) -> list[str]:
        """The names of the runs whose name starts with `prefix` (taken literally)."""
        ...

    def list_runs(self, status: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[RunRecord]:
        """Newest first."""
        ...

    def reclaim(self) -> None:
        """Give the space of deleted rows back to the disk where the backend can do so
        cheaply while serving (SQLite: free pages, the WAL truncated); see `vacuum`."""

    def vacuum(self) -> dict[str, int]:
        """Compact the whole database (a maintenance step: SQLite's VACUUM, which also
        turns on incremental vacuuming for a database made before it; PostgreSQL's VACUUM
        ANALYZE). Returns the database's size in bytes before and after, and the WAL's
        ("database", "database_after", "wal", "wal_after"; 0 where there is none)."""
        ...

    def gpu_seconds(self, owner: str) -> float:
        """The time a user's runs have trained on a GPU (their device cuda...), in all."""
        ...

    def untasked_run_ids(self) -> list[str]:
        """The runs whose task is not kept (stored before it was, their training naming
        none)."""
        ...

    def find_runs(self, query: RunQuery) -> tuple[list[RunRecord], int]:
        """One page of the runs the query finds, in its order, and how many it finds in
        all."""
        ...

    def append_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        """Add many rows in one transaction."""

    def get_metrics(self, run_id: str, names: Sequence[str] | None = None,
                    since_step: int | None = None, until_step: int | None = None
                    ) -> dict[str, list[float | int | None]]:
        """Columnar: {"step": [...], "epoch": [...], name: [...]}, ordered by step;
        a name missing at some step is None there. Steps after since_step, up to
        until_step."""
        ...

    def get_metric_overview(self, run_id: str, points: int,
                            names: Sequence[str] | None = None, since_step: int | None = None,
                            until_step: int | None = None) -> MetricOverview:
        """The metrics between the steps (since_step, until_step] as get_metrics gives them
        when they hold at most `points` steps; else each metric's lowest and highest value
        in each of at most points/2 stretches of steps, read from summaries kept as the
        rows were written (app.store.summaries), whatever the run's length."""
        ...

    def get_sparse_metrics(self, run_id: str, names: Sequence[str],
                           since_step: int | None = None) -> dict[str, list[float | int | None]]:
        """Every row of these metrics after since_step, as get_metrics gives them, read
        cheaply where they are sparse (a value an epoch beside a value a step): from the
        summaries, and row by row only where those hold more than they keep."""
        ...

    def metric_names(self, run_id: str) -> list[str]:
        """The names of the metrics the run has values of."""
        ...

    def last_metric_step(self, run_id: str) -> int | None:
        """The run's newest stored step; None before its first."""
        ...

    def delete_metrics_after(self, run_id: str, step: int) -> None:
        """Drop rows with step > `step` (a resumed run re-reports them)."""

    def delete_run(self, run_id: str) -> bool:
        """Remove the run and its metrics; False when there was no such run."""
        ...

    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs of these ids that exist, in the order asked for."""
        ...

    def create_sweep(self, sweep: SweepRecord) -> None: ...

    def get_sweep(self, sweep_id: str) -> SweepRecord | None: ...

    def list_sweeps(self, limit: int = 50, offset: int = 0,
                    owners: Sequence[str] | None = None) -> list[SweepRecord]:
        """Newest first; only those of `owners` when given."""
        ...

    def delete_sweep(self, sweep_id: str) -> bool:
        """Remove the sweep (not its runs); False when there was no such sweep."""
        ...

    def update_sweep(self, sweep_id: str, trials: list[Trial] | None = None,
                     stopped: bool | None = None) -> None:
        """Rewrite a sweep's trials (a search adds them as it goes) or its stopped flag."""
        ...

    def mark_interrupted(self) -> list[str]:
        """Runs this server (see owned_by) left 'running' when it last stopped: mark them
        interrupted, return their ids. Other servers' runs are left as they are."""
        ...

    def accounts(self) -> AccountStore:
        """The classroom's rows (users, classes, assignments...) in the same database."""
        ...

    def close(self) -> None: ...
