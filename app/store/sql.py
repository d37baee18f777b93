"""SqlRunStore: the RunStore on SQLAlchemy, for SQLite files and PostgreSQL."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import (
    ColumnElement,
    Connection,
    SQLColumnExpression,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

from app.store.base import (
    HEADLINE,
    TEST_HEADLINE,
    MetricOverview,
    MetricRow,
    RunQuery,
    RunRecord,
    RunSort,
    StoreUnavailable,
    SweepRecord,
    Trial,
)
from app.store.engine import PoolSettings, make_engine, upgrade
from app.store.summaries import (
    WIDTHS,
    first_step,
    last_step,
    level_for,
    overview,
    rebuild_after,
    rebuild_range,
    sparse,
    summarize,
)
from app.store.summaries import upsert as summary_upsert
from app.store.tables import MetricSummaryRow, MetricValueRow, RunRow, SweepRow

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from app.store.base import RunStore

INTERRUPTED_ERROR = "the server stopped while this run was running"
ACTIVE_STATUSES = frozenset({"queued", "running"})  # a server's own runs, as it sets them
RESERVED_METRIC_NAMES = frozenset({"step", "epoch"})  # the columnar answer's own keys
RUN_FIELDS = tuple(RunRecord.model_fields)
_JSON_FIELDS = frozenset({"spec", "training", "latest_metrics", "best_metrics", "best_epochs",
                          "test_metrics", "origin"})
P = ParamSpec("P")
R = TypeVar("R")


def _transient(method: Callable[P, R]) -> Callable[P, R]:
    """Errors of a locked, down or unreachable database, or of a pool with no free
    connection in time, become StoreUnavailable (the caller may retry); every other
    error stays what it is."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (OperationalError, InterfaceError, PoolTimeout) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StoreUnavailable(f"the database is unavailable: {reason}") from exc

    return wrapper


class SqlRunStore:
    """Runs and metrics in a SQL database. One Engine (its pool is thread-safe) and a
    short session or connection per call, so any thread may call any method.

    With a `server_id`, runs this store creates, queues or starts are stamped with it
    (the server column), and mark_interrupted touches only those."""

    def __init__(self, url: str, pool: PoolSettings | None = None,
                 server_id: str | None = None) -> None:
        self.server_id = server_id
        self.engine = make_engine(url, pool)
        try:
            upgrade(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upsert = _metric_upsert(self.engine.dialect.name)
        self._summary_upsert = summary_upsert(self.engine.dialect.name)

    def __repr__(self) -> str:
        return f"SqlRunStore({self.engine.url.render_as_string(hide_password=True)!r})"

    @_transient
    def create_run(self, run: RunRecord) -> None:
        if run.server is None and self.server_id is not None:
            run = run.model_copy(update={"server": self.server_id})
        fields = {name: getattr(run, name) for name in RUN_FIELDS}
        self._insert(RunRow(**{name: _encode(name, value) for name, value in fields.items()},
                            **derived_columns(fields)),
                     f"a run with id {run.id!r} already exists")

    def _insert(self, row: Any, taken: str) -> None:
        """Add one new row; ValueError(`taken`) when its id is already in use."""
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as exc:
            raise ValueError(taken) from exc

    @_transient
    def update_run(self, run_id: str, **fields: Any) -> None:
        unknown = sorted(set(fields) - set(RUN_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown run field(s) {', '.join(unknown)}; known: {', '.join(RUN_FIELDS)}"
            )
        if "id" in fields:
            raise ValueError("a run's id cannot change")
        if not fields:
            return
        if fields.get("status") in ACTIVE_STATUSES and self.server_id is not None:
            fields.setdefault("server", self.server_id)  # resumed here: this server's now
        values = {name: _encode(name, value) for name, value in fields.items()}
        with self.engine.begin() as connection:
            if ("started_at" in fields) != ("finished_at" in fields):  # the other one as kept
                kept = connection.execute(select(RunRow.started_at, RunRow.finished_at)
                                          .where(RunRow.id == run_id)).first()
                if kept is not None:
                    fields = {"started_at": kept.started_at, "finished_at": kept.finished_at,
                              **fields}
            result = connection.execute(
                update(RunRow).where(RunRow.id == run_id).values(
                    **values, **derived_columns(fields))
            )
        if result.rowcount == 0:
            raise KeyError(f"no run {run_id!r}")

    @_transient
    def get_run(self, run_id: str) -> RunRecord | None:
        with self._sessions() as session:
            row = session.get(RunRow, run_id)
            return None if row is None else _to_record(row)

    @_transient
    def run_names(self, prefix: str) -> list[str]:
        query = select(RunRow.name).where(RunRow.name.startswith(prefix, autoescape=True))
        with self._sessions() as session:
            return list(session.scalars(query).all())

    @_transient
    def list_runs(self, status: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[RunRecord]:
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if status is not None:
            query = query.where(RunRow.status == status)
        with self._sessions() as session:
            rows = session.scalars(query.limit(limit).offset(offset)).all()
            return [_to_record(row) for row in rows]

    @_transient
    def untasked_run_ids(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(
                select(RunRow.id).where(RunRow.task.is_(None))).scalars())

    @_transient
    def find_runs(self, query: RunQuery) -> tuple[list[RunRecord], int]:
        found = run_filters(query)
        key = sort_key(query.sort)
        order: list[ColumnElement[Any]] = [
            key.desc() if query.descending else key.asc(), RunRow.created_at.desc(),
            RunRow.id.desc()]
        if query.sort != "created":  # the others may be missing: last either way
            order.insert(0, key.is_(None))
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(RunRow).where(*found)) or 0
            rows = session.scalars(select(RunRow).where(*found).order_by(*order)
                                   .limit(query.limit).offset(query.offset)).all()
            return [_to_record(row) for row in rows], total

    @_transient
    def append_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        latest: dict[tuple[int, str], tuple[int, float]] = {}  # a later duplicate wins
        for row in rows:
            reserved = RESERVED_METRIC_NAMES.intersection(row.values)
            if reserved:
                raise ValueError(f"metric names {sorted(reserved)} are reserved")
            for name, value in row.values.items():
                latest[(row.step, name)] = (row.epoch, value)
        if not latest:
            return
        params = [
            {"run_id": run_id, "step": step, "name": name, "epoch": epoch,
             "value": None if math.isnan(value) else value}
            for (step, name), (epoch, value) in latest.items()
        ]
        first, last = min(step for step, _ in latest), max(step for step, _ in latest)
        m = MetricValueRow
        try:
            with self.engine.begin() as connection:
                steps = sorted({step for step, _ in latest})
                # these steps written before (a replay, a retry)? Other writers' steps in
                # between are not: theirs were summarised as they came.
                where = (m.step.in_(steps) if len(steps) <= MAX_LISTED_STEPS
                         else m.step.between(first, last))
                again = connection.execute(select(m.step).where(
                    m.run_id == run_id, where).limit(1)).first()
                connection.execute(self._upsert, params)  # executemany, one transaction
                if again is not None:  # a replay or a retry: the touched buckets anew
                    rebuild_range(connection, run_id, first, last, self.engine.dialect.name)
                else:
                    buckets = summarize((step, epoch, name, value)
                                        for (step, name), (epoch, value) in latest.items())
                    connection.execute(self._summary_upsert,
                                       [{"run_id": run_id, **b} for b in buckets])
        except IntegrityError as exc:
            raise KeyError(f"no run {run_id!r}") from exc

    @_transient
    def get_metrics(self, run_id: str, names: Sequence[str] | None = None,
                    since_step: int | None = None, until_step: int | None = None
                    ) -> dict[str, list[float | int | None]]:
        names = [names] if isinstance(names, str) else names  # a lone name, not its letters
        with self.engine.connect() as connection:
            found = _rows(connection, run_id, names, since_step, until_step)
        return _pivot(found, names)

    @_transient
    def get_metric_overview(self, run_id: str, points: int,
                            names: Sequence[str] | None = None, since_step: int | None = None,
                            until_step: int | None = None) -> MetricOverview:
        names = [names] if isinstance(names, str) else names
        with self.engine.connect() as connection:
            first, last = first_step(connection, run_id), last_step(connection, run_id)
            low = first - 1 if since_step is None and first is not None else since_step
            high = last if until_step is None else until_step
            level = None if low is None or high is None else level_for(high - low, points)
            if level is None or low is None or high is None or (names is not None
                                                                 and not names):
                found = _rows(connection, run_id, names, since_step, until_step)
                return MetricOverview(_pivot(found, names), None)
            found, represented = overview(connection, run_id, names, level, since_step,
                                          until_step)
            ends = [*_rows(connection, run_id, names, low, low + 1),  # the first and last
                    *_rows(connection, run_id, names, high - 1, high)]  # rows, as they are
        rows = sorted({(r[0], r[2]): tuple(r) for r in [*found, *ends]}.values(),
                      key=lambda r: (r[0], r[2]))
        return MetricOverview(_pivot(rows, names), represented)

    @_transient
    def get_sparse_metrics(self, run_id: str, names: Sequence[str],
                           since_step: int | None = None) -> dict[str, list[float | int | None]]:
        if not names:
            return _pivot([], names)
        with self.engine.connect() as connection:
            return _pivot(sparse(connection, run_id, names, since_step), names)

    @_transient
    def last_metric_step(self, run_id: str) -> int | None:
        with self.engine.connect() as connection:
            return last_step(connection, run_id)

    @_transient
    def metric_names(self, run_id: str) -> list[str]:
        s = MetricSummaryRow
        with self.engine.connect() as connection:
            return sorted(connection.execute(select(s.name).distinct().where(
                s.run_id == run_id, s.level == len(WIDTHS) - 1)).scalars())

    @_transient
    def delete_metrics_after(self, run_id: str, step: int) -> None:
        m = MetricValueRow
        with self.engine.begin() as connection:
            connection.execute(delete(m).where(m.run_id == run_id, m.step > step))
            rebuild_after(connection, run_id, step, self.engine.dialect.name)

    @_transient
    def delete_run(self, run_id: str) -> bool:
        with self.engine.begin() as connection:  # metrics go by ON DELETE CASCADE
            result = connection.execute(delete(RunRow).where(RunRow.id == run_id))
        return result.rowcount > 0

    @_transient
    def reclaim(self) -> None:
        if self.engine.dialect.name != "sqlite":
            return  # PostgreSQL's autovacuum reuses the space; `vacuum` returns it
        with self.engine.connect() as connection:
            # the driver's own executescript: its execute steps this pragma once, which
            # frees a single page; a script runs it to the end
            connection.connection.driver_connection.executescript(  # type: ignore[union-attr]
                "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")

    @_transient
    def vacuum(self) -> dict[str, int]:
        before = self._sizes()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if self.engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA auto_vacuum=INCREMENTAL")
                connection.exec_driver_sql("VACUUM")
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                connection.exec_driver_sql("VACUUM ANALYZE")
        after = self._sizes()
        return {"database": before[0], "database_after": after[0], "wal": before[1],
                "wal_after": after[1]}

    def _sizes(self) -> tuple[int, int]:
        """The database's size in bytes, and its write-ahead log's (SQLite's file)."""
        with self.engine.connect() as connection:
            if self.engine.dialect.name != "sqlite":
                size = connection.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar()
                return int(size or 0), 0
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            page_size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
        database = self.engine.url.database or ""
        wal = Path(f"{database}-wal")
        return int(pages) * int(page_size), wal.stat().st_size if wal.exists() else 0

    @_transient
    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord]:
        with self._sessions() as session:
            rows = {row.id: row for row in
                    session.scalars(select(RunRow).where(RunRow.id.in_(list(run_ids))))}
            return [_to_record(rows[run_id]) for run_id in run_ids if run_id in rows]

    @_transient
    def create_sweep(self, sweep: SweepRecord) -> None:
        if sweep.server is None and self.server_id is not None:
            sweep = sweep.model_copy(update={"server": self.server_id})
        row = SweepRow(**_finite_json(sweep.model_dump(mode="json")))
        row.created_at = sweep.created_at
        self._insert(row, f"a sweep with id {sweep.id!r} already exists")

    @_transient
    def get_sweep(self, sweep_id: str) -> SweepRecord | None:
        with self._sessions() as session:
            row = session.get(SweepRow, sweep_id)
            return None if row is None else _to_sweep(row)

    @_transient
    def list_sweeps(self, limit: int = 50, offset: int = 0) -> list[SweepRecord]:
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        query = select(SweepRow).order_by(SweepRow.created_at.desc(), SweepRow.id.desc())
        with self._sessions() as session:
            return [_to_sweep(row) for row in session.scalars(query.limit(limit).offset(offset))]

    @_transient
    def update_sweep(self, sweep_id: str, trials: list[Trial] | None = None,
                     stopped: bool | None = None) -> None:
        values: dict[str, Any] = {}
        if trials is not None:
            values["trials"] = [_finite_json(t.model_dump(mode="json")) for t in trials]
        if stopped is not None:
            values["stopped"] = stopped
        if values:
            with self.engine.begin() as connection:
                connection.execute(update(SweepRow).where(SweepRow.id == sweep_id)
                                   .values(**values))

    @_transient
    def delete_sweep(self, sweep_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(delete(SweepRow).where(SweepRow.id == sweep_id))
        return result.rowcount > 0

    @_transient
    def mark_interrupted(self) -> list[str]:
        with self.engine.begin() as connection:
            query = select(RunRow.id).where(RunRow.status == "running")
            if self.server_id is not None:
                query = query.where(or_(RunRow.server == self.server_id,
                                        RunRow.server.is_(None)))
            ids = list(connection.scalars(query.order_by(RunRow.created_at, RunRow.id)))
            if ids:
                connection.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(ids), RunRow.status == "running")
                    .values(status="interrupted", finished_at=None, error=INTERRUPTED_ERROR)
                )
        return ids

    def close(self) -> None:
        self.engine.dispose()


MAX_LISTED_STEPS = 2000
"""A batch of up to this many steps is checked step by step for rows written before; a
longer one (a replayed journal) by its range."""


def _metric_upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE: a step reported again (a resumed run) overwrites."""
    if dialect_name == "sqlite":
        stmt: Any = sqlite.insert(MetricValueRow)
    elif dialect_name == "postgresql":
        stmt = postgresql.insert(MetricValueRow)
    else:
        raise ValueError(f"no metric upsert for the {dialect_name!r} dialect")
    upsert: Insert = stmt.on_conflict_do_update(
        index_elements=["run_id", "step", "name"],
        set_={"epoch": stmt.excluded.epoch, "value": stmt.excluded.value},
    )
    return upsert


def _rows(connection: Connection, run_id: str, names: Sequence[str] | None,
          after: int | None, until: int | None) -> Sequence[Any]:
    """The stored rows (step, epoch, name, value) of the run between the steps, by step."""
    if names is not None and not names:
        return []
    m = MetricValueRow
    query = (select(m.step, m.epoch, m.name, m.value).where(m.run_id == run_id)
             .order_by(m.step, m.name))
    if names is not None:
        query = query.where(m.name.in_(list(names)))
    if after is not None:
        query = query.where(m.step > after)
    if until is not None:
        query = query.where(m.step <= until)
    return connection.execute(query).all()


def _pivot(found: Sequence[Any], names: Sequence[str] | None
           ) -> dict[str, list[float | int | None]]:
    """Long rows (step, epoch, name, value), ordered by step, to columns; holes are None."""
    steps: list[float | int | None] = []
    epochs: list[float | int | None] = []
    columns: dict[str, list[float | int | None]] = {name: [] for name in names or ()}
    for step, epoch, name, value in found:
        if not steps or steps[-1] != step:
            steps.append(step)
            epochs.append(epoch)
            for column in columns.values():
                column.append(None)
        if name not in columns:
            columns[name] = [None] * len(steps)
        columns[name][-1] = math.nan if value is None else value
    ordered = list(names) if names is not None else sorted(columns)
    return {"step": steps, "epoch": epochs, **{name: columns[name] for name in ordered}}


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    annotation = RunRecord.model_fields[field].annotation
    assert annotation is not None  # every RunRecord field is annotated
    return TypeAdapter(annotation)


def _encode(field: str, value: Any) -> Any:
    """Validate a value as RunRecord's field would, and make JSON fields plain JSON."""
    adapter = _adapter(field)
    value = adapter.validate_python(value)
    if field in _JSON_FIELDS:
        return _finite_json(adapter.dump_python(value, mode="json"))
    return value


def _finite_json(value: Any) -> Any:
    """NaN and infinities as strings (strict JSON has no such numbers; PostgreSQL's json
    rejects them); pydantic reads "NaN" and "Infinity" back as floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_json(item) for item in value]
    return value


def derived_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns the runs list sorts, searches and filters by (app.store.tables.RunRow),
    from whichever RunRecord fields are being written."""
    columns: dict[str, Any] = {}
    if "spec" in fields:
        columns["network"] = _plain(fields["spec"])["name"]
    if "training" in fields:
        columns["dataset"] = _plain(fields["training"])["dataset"]["name"]
    if "tags" in fields:
        columns["tag_text"] = " ".join(fields["tags"] or [])
    if "best_metrics" in fields:
        columns["score"] = _first_finite(fields["best_metrics"], HEADLINE)
    if "test_metrics" in fields:
        columns["test_score"] = _first_finite(fields["test_metrics"], TEST_HEADLINE)
    if "started_at" in fields and "finished_at" in fields:
        start, end = fields["started_at"], fields["finished_at"]
        columns["duration_s"] = (None if start is None or end is None
                                 else max(0.0, (end - start).total_seconds()))
    return columns


def _plain(value: Any) -> Any:
    """A spec or training config as a dict, whether a model or one already."""
    return value.model_dump() if hasattr(value, "model_dump") else value


def _first_finite(metrics: dict[str, Any] | None, names: Sequence[str]) -> float | None:
    for name in names:
        value = (metrics or {}).get(name)
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None


def run_filters(query: RunQuery) -> list[ColumnElement[bool]]:
    """The query's filters and search words as SQL conditions (all must hold)."""
    conditions: list[ColumnElement[bool]] = []
    if query.status:
        conditions.append(RunRow.status.in_(query.status))
    for column, wanted in ((RunRow.dataset, query.dataset), (RunRow.task, query.task)):
        if wanted is not None:
            conditions.append(column == wanted)
    if query.created_after is not None:
        conditions.append(RunRow.created_at >= query.created_after)
    if query.created_before is not None:
        conditions.append(RunRow.created_at < query.created_before)
    for word in query.text.split():
        conditions.append(or_(*(column.icontains(word, autoescape=True) for column in (
            RunRow.name, RunRow.description, RunRow.network, RunRow.dataset,
            RunRow.tag_text))))
    return conditions


def sort_key(sort: RunSort) -> SQLColumnExpression[Any]:
    """The column a sort orders by (text without regard to case)."""
    return {
        "created": RunRow.created_at, "name": func.lower(RunRow.name), "status": RunRow.status,
        "network": func.lower(RunRow.network), "dataset": RunRow.dataset,
        "task": RunRow.task, "epochs": RunRow.epoch, "score": RunRow.score,
        "test": RunRow.test_score, "duration": RunRow.duration_s,
        "tags": func.nullif(RunRow.tag_text, ""),
    }[sort]


def _to_record(row: RunRow) -> RunRecord:
    fields = {name: getattr(row, name) for name in RUN_FIELDS}
    for name, empty in (("notes", []), ("tags", []), ("description", ""), ("best_epochs", {})):
        if fields[name] is None:  # runs stored before the field was kept
            fields[name] = empty
    return RunRecord.model_validate(fields)


def _to_sweep(row: SweepRow) -> SweepRecord:
    return SweepRecord.model_validate({name: getattr(row, name)
                                       for name in SweepRecord.model_fields})


if TYPE_CHECKING:
    _implements_protocol: type[RunStore] = SqlRunStore
