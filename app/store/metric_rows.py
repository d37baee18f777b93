"""Metric rows as the SQL backend writes and reads them: the upsert a step reported
again overwrites with, the long rows of a step range, and those rows as columns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app.store.tables import MetricValueRow

MAX_LISTED_STEPS = 2000
"""A batch of up to this many steps is checked step by step for rows written before; a
longer one (a replayed journal) by its range."""


def metric_upsert(dialect_name: str) -> Insert:
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


def metric_rows(connection: Connection, run_id: str, names: Sequence[str] | None,
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


def pivot(found: Sequence[Any], names: Sequence[str] | None
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
