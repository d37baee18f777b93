"""The database tables: one row per run, one row per (run, step, metric name), one row
per sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, the same on every backend (Alembic needs names to
# alter constraints later, and SQLite's batch mode recreates tables by them).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite has no time zones, so it stores naive UTC;
    naive datetimes handed in are taken to be UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    """One run; mirrors app.store.base.RunRecord field for field."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    training: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    device: Mapped[str | None] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(String(16), nullable=True)
    latest_metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    best_metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    test_metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: from before
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    server: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: from before
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    best_epochs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    task: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # What the runs list sorts, searches and filters by, kept from the fields above as
    # they are written (app.store.run_rows.derived_columns): read in SQL on any backend, with
    # no JSON to open per row.
    network: Mapped[str | None] = mapped_column(Text, nullable=True)
    dataset: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    tag_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    test_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class MetricValueRow(Base):
    """One named value at one step, long format. The primary key (run_id, step, name)
    is the uniqueness rule, and its index, led by run_id, serves per-run reads and the
    cascading delete. value NULL stands for NaN: SQLite cannot store NaN."""

    __tablename__ = "metrics"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)


class MetricSummaryRow(Base):
    """A long run's metrics at a chart's resolution, kept as they are written
    (app.store.summaries): for each metric, at each level, the steps are cut into buckets
    of WIDTHS[level] steps, and each bucket keeps how many values it holds and its lowest
    and highest one with their steps. A chart of any length reads a few thousand rows."""

    __tablename__ = "metric_summaries"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)  # NaN included
    # the lowest and highest value and where: NULL in a bucket of NaN alone
    min_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_epoch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_epoch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_value: Mapped[float | None] = mapped_column(Float, nullable=True)


class SweepRow(Base):
    """One sweep; mirrors app.store.base.SweepRecord. Its trials (run id and values)
    are a JSON list, read with the sweep and rewritten as a search adds trials."""

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    training: Mapped[dict[str, Any]] = mapped_column(JSON)
    sweep: Mapped[dict[str, Any]] = mapped_column(JSON)
    trials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    server: Mapped[str | None] = mapped_column(String(128), nullable=True)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
