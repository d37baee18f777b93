"""SqlRunStore: the RunStore on SQLAlchemy, for SQLite files and PostgreSQL."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy import (
    ColumnElement,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

from app.store.accounts import AccountStore
from app.store.base import (
    MetricOverview,
    MetricRow,
    RunQuery,
    RunRecord,
    StoreUnavailable,
    SweepRecord,
    Trial,
)
from app.store.engine import PoolSettings, make_engine, upgrade
from app.store.metric_rows import MAX_LISTED_STEPS, metric_rows, metric_upsert, pivot
from app.store.run_rows import (
    RUN_FIELDS,
    derived_columns,
    encode,
    finite_json,
    run_filters,
    sort_key,
    to_record,
    to_sweep,
)
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

    from app.store.base import RunStore

INTERRUPTED_ERROR = "the server stopped while this run was running"
ACTIVE_STATUSES = frozenset({"queued", "running"})  # a server's own runs, as it sets them
RESERVED_METRIC_NAMES = frozenset({"step", "epoch"})  # the columnar answer's own keys
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
        self._upsert = metric_upsert(self.engine.dialect.name)
        self._summary_upsert = summary_upsert(self.engine.dialect.name)

    def __repr__(self) -> str:
        return f"SqlRunStore({self.engine.url.render_as_string(hide_password=True)!r})"

    @_transient
    def create_run(self, run: RunRecord) -> None:
        if run.server is None and self.server_id is not None:
            run = run.model_copy(update={"server": self.server_id})
        fields = {name: getattr(run, name) for name in RUN_FIELDS}
        self._insert(RunRow(**{name: encode(name, value) for name, value in fields.items()},
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
        values = {name: encode(name, value) for name, value in fields.items()}
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
            return None if row is None else to_record(row)

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
            return [to_record(row) for row in rows]

    @_transient
    def untasked_run_ids(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(
                select(RunRow.id).where(RunRow.task.is_(None))).scalars())

    def accounts(self) -> AccountStore:
        return AccountStore(self.engine)

    @_transient
    def gpu_seconds(self, owner: str) -> float:
        query = select(func.coalesce(func.sum(RunRow.duration_s), 0.0)).where(
            RunRow.owner == owner, RunRow.device.like("cuda%"))
        with self._sessions() as session:
            return float(session.scalar(query) or 0.0)

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
            return [to_record(row) for row in rows], total

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
            found = metric_rows(connection, run_id, names, since_step, until_step)
        return pivot(found, names)

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
                found = metric_rows(connection, run_id, names, since_step, until_step)
                return MetricOverview(pivot(found, names), None)
            found, represented = overview(connection, run_id, names, level, since_step,
                                          until_step)
            ends = [*metric_rows(connection, run_id, names, low, low + 1),  # the first and last
                    *metric_rows(connection, run_id, names, high - 1, high)]  # rows, as they are
        rows = sorted({(r[0], r[2]): tuple(r) for r in [*found, *ends]}.values(),
                      key=lambda r: (r[0], r[2]))
        return MetricOverview(pivot(rows, names), represented)

    @_transient
    def get_sparse_metrics(self, run_id: str, names: Sequence[str],
                           since_step: int | None = None) -> dict[str, list[float | int | None]]:
        if not names:
            return pivot([], names)
        with self.engine.connect() as connection:
            return pivot(sparse(connection, run_id, names, since_step), names)

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
            return [to_record(rows[run_id]) for run_id in run_ids if run_id in rows]

    @_transient
    def create_sweep(self, sweep: SweepRecord) -> None:
        if sweep.server is None and self.server_id is not None:
            sweep = sweep.model_copy(update={"server": self.server_id})
        row = SweepRow(**finite_json(sweep.model_dump(mode="json")))
        row.created_at = sweep.created_at
        self._insert(row, f"a sweep with id {sweep.id!r} already exists")

    @_transient
    def get_sweep(self, sweep_id: str) -> SweepRecord | None:
        with self._sessions() as session:
            row = session.get(SweepRow, sweep_id)
            return None if row is None else to_sweep(row)

    @_transient
    def list_sweeps(self, limit: int = 50, offset: int = 0,
                    owners: Sequence[str] | None = None) -> list[SweepRecord]:
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        query = select(SweepRow).order_by(SweepRow.created_at.desc(), SweepRow.id.desc())
        if owners is not None:
            query = query.where(SweepRow.owner.in_(owners))
        with self._sessions() as session:
            return [to_sweep(row) for row in session.scalars(query.limit(limit).offset(offset))]

    @_transient
    def update_sweep(self, sweep_id: str, trials: list[Trial] | None = None,
                     stopped: bool | None = None) -> None:
        values: dict[str, Any] = {}
        if trials is not None:
            values["trials"] = [finite_json(t.model_dump(mode="json")) for t in trials]
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


if TYPE_CHECKING:
    _implements_protocol: type[RunStore] = SqlRunStore
