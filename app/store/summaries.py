"""Long histories at a chart's resolution, kept as the metrics are written.

For each metric of a run and each level, the steps are cut into buckets of WIDTHS[level]
consecutive steps (16, 32, 64, ... 2^26), and each bucket keeps how many values it
holds and its lowest and highest value with their steps (NaN counts among its values,
but is neither: a bucket of NaN alone has no lowest or highest). Writing a
block of rows updates a bucket or two per level; reading a run of any length at P points
per metric reads at most about P summary rows per metric, from the finest level whose
buckets are few enough, so a spike stays visible however long the run. A step range
that holds few enough rows is read row by row instead (full resolution).

Rewritten steps rebuild the buckets they touch: a resumed run deletes its rows after its
checkpoint and writes them again (`rebuild_after`), and rows written a second time (a
journal replayed, a retried write) make their buckets again from the rows as they now
are (`rebuild_range`), so nothing is counted twice."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from app.store.tables import MetricSummaryRow, MetricValueRow

# steps per bucket at each level: doubling, so that a range gets between a quarter and a
# half of its points in buckets (two values each), whatever its length
WIDTHS = tuple(2**k for k in range(4, 27))
MAX_RANGES = 64  # stretches of dense buckets `sparse` reads one by one; past it, all at once
Long = tuple[int, int, str, float | None]  # (step, epoch, name, value): a stored row


def summarize(rows: Iterable[Long]) -> list[dict[str, Any]]:
    """The buckets of every level that `rows` fall in, each with the count, lowest and
    highest of its rows here (to be merged into what the store keeps: `upsert`): the
    finest level from the rows, each coarser one from the level below."""
    finest: dict[tuple[str, int], dict[str, Any]] = {}
    for step, epoch, name, value in rows:
        number = None if value is None or math.isnan(value) else value
        at = (None, None) if number is None else (step, epoch)
        point = {"name": name, "level": 0, "bucket": step // WIDTHS[0], "n": 1,
                 "min_step": at[0], "min_epoch": at[1], "min_value": number,
                 "max_step": at[0], "max_epoch": at[1], "max_value": number}
        key = (name, point["bucket"])
        finest[key] = merge(finest[key], point) if key in finest else point
    every, below = list(finest.values()), list(finest.values())
    for level in range(1, len(WIDTHS)):
        below = coarser(below, level)
        every += below
    return in_key_order(every)


def in_key_order(buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buckets in the order of their key, as every writer upserts them: two transactions
    writing the same buckets lock them in the same order and never deadlock (PostgreSQL)."""
    return sorted(buckets, key=lambda b: (b["name"], b["level"], b["bucket"]))


def coarser(buckets: Iterable[dict[str, Any]], level: int) -> list[dict[str, Any]]:
    """The buckets of `level` made of these buckets of the level below."""
    made: dict[tuple[str, int], dict[str, Any]] = {}
    ratio = WIDTHS[level] // WIDTHS[level - 1]
    for bucket in buckets:
        up = {**bucket, "level": level, "bucket": bucket["bucket"] // ratio}
        key = (up["name"], up["bucket"])
        made[key] = merge(made[key], up) if key in made else up
    return list(made.values())


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One bucket holding the values of two (of one metric, level and bucket)."""
    low = a if b["min_value"] is None or (a["min_value"] is not None
                                          and a["min_value"] <= b["min_value"]) else b
    high = a if b["max_value"] is None or (a["max_value"] is not None
                                           and a["max_value"] >= b["max_value"]) else b
    return {**a, "n": a["n"] + b["n"],
            "min_step": low["min_step"], "min_epoch": low["min_epoch"],
            "min_value": low["min_value"], "max_step": high["max_step"],
            "max_epoch": high["max_epoch"], "max_value": high["max_value"]}


def upsert(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE that merges a bucket's new rows into what it
    holds: counts add, the lower low and the higher high stay."""
    table = MetricSummaryRow.__table__.c
    stmt: Any = (sqlite.insert if dialect_name == "sqlite" else postgresql.insert)(
        MetricSummaryRow)
    new = stmt.excluded
    lower = or_(table.min_value.is_(None), new.min_value < table.min_value)  # NULL: none yet
    higher = or_(table.max_value.is_(None), new.max_value > table.max_value)
    merged: Insert = stmt.on_conflict_do_update(
        index_elements=["run_id", "name", "level", "bucket"],
        set_={"n": table.n + new.n,
              **{f"min_{f}": case((lower, getattr(new, f"min_{f}")), else_=table[f"min_{f}"])
                 for f in ("step", "epoch", "value")},
              **{f"max_{f}": case((higher, getattr(new, f"max_{f}")), else_=table[f"max_{f}"])
                 for f in ("step", "epoch", "value")}})
    return merged


def rebuild_after(connection: Connection, run_id: str, step: int, dialect_name: str) -> None:
    """After the rows past `step` went: the buckets that held any go, and the ones cut
    in two are made again, the finest from the rows that stay (a few), each coarser one
    from the level below."""
    s, m = MetricSummaryRow, MetricValueRow
    for level, width in enumerate(WIDTHS):
        connection.execute(delete(s).where(s.run_id == run_id, s.level == level,
                                           s.bucket >= (step + 1) // width))
    start = (step + 1) // WIDTHS[0] * WIDTHS[0]  # the finest bucket cut in two
    kept = connection.execute(select(m.step, m.epoch, m.name, m.value).where(
        m.run_id == run_id, m.step >= start, m.step <= step)).all()
    below = [b for b in summarize(kept) if b["level"] == 0]
    made = list(below)
    columns = [getattr(s, c.name) for c in MetricSummaryRow.__table__.c if c.name != "run_id"]
    for level in range(1, len(WIDTHS)):
        cut = (step + 1) // WIDTHS[level]
        if cut * WIDTHS[level] > step:  # no bucket of this level is cut in two
            below = []
            continue
        ratio = WIDTHS[level] // WIDTHS[level - 1]
        whole = connection.execute(select(*columns).where(  # the level below, complete
            s.run_id == run_id, s.level == level - 1, s.bucket >= cut * ratio,
            s.bucket < (cut + 1) * ratio)).mappings().all()
        below = coarser([dict(b) for b in whole] + below, level)
        made += below
    if made:
        connection.execute(upsert(dialect_name),
                           [{"run_id": run_id, **b} for b in in_key_order(made)])


def rebuild_range(connection: Connection, run_id: str, first: int, last: int,
                  dialect_name: str) -> None:
    """Make the buckets that hold any step from `first` to `last` again, the finest from
    the stored rows, each coarser one from the level below (already made again)."""
    s, m = MetricSummaryRow, MetricValueRow
    columns = [getattr(s, c.name) for c in MetricSummaryRow.__table__.c if c.name != "run_id"]
    for level, width in enumerate(WIDTHS):
        low, high = first // width, last // width
        connection.execute(delete(s).where(s.run_id == run_id, s.level == level,
                                           s.bucket >= low, s.bucket <= high))
        if level == 0:
            rows = connection.execute(select(m.step, m.epoch, m.name, m.value).where(
                m.run_id == run_id, m.step >= low * width, m.step < (high + 1) * width)).all()
            made = [b for b in summarize(rows) if b["level"] == 0]
        else:
            ratio = width // WIDTHS[level - 1]
            below = connection.execute(select(*columns).where(
                s.run_id == run_id, s.level == level - 1, s.bucket >= low * ratio,
                s.bucket < (high + 1) * ratio)).mappings().all()
            made = coarser([dict(b) for b in below], level)
        if made:
            connection.execute(upsert(dialect_name),
                               [{"run_id": run_id, **b} for b in in_key_order(made)])


def level_for(span: int, points: int) -> int | None:
    """The finest level whose buckets cut `span` steps into at most points/2 (two values
    each); None when `span` rows fit in `points` as they are."""
    if span <= points:
        return None
    for level, width in enumerate(WIDTHS):
        if span / width <= max(points // 2, 1):
            return level
    return len(WIDTHS) - 1


def overview(connection: Connection, run_id: str, names: Sequence[str] | None,
             level: int, after: int | None, until: int | None) -> tuple[list[Long], int]:
    """Each metric's lowest and highest row of every bucket at `level` between the steps
    (after, until], by step; and the most rows any metric has there (its buckets' counts:
    exact unless the range starts or ends inside a bucket)."""
    s, width = MetricSummaryRow, WIDTHS[level]
    query = select(s.name, s.n, s.min_step, s.min_epoch, s.min_value, s.max_step,
                   s.max_epoch, s.max_value).where(s.run_id == run_id, s.level == level)
    if names is not None:
        query = query.where(s.name.in_(list(names)))
    if after is not None:
        query = query.where(s.bucket >= (after + 1) // width)
    if until is not None:
        query = query.where(s.bucket <= until // width)
    rows: list[Long] = []
    counts: dict[str, int] = {}
    for b in connection.execute(query):
        counts[b.name] = counts.get(b.name, 0) + b.n
        for point in {(b.min_step, b.min_epoch, b.min_value), (b.max_step, b.max_epoch,
                                                                b.max_value)}:
            if point[0] is None:  # NaN alone
                continue
            if (after is None or point[0] > after) and (until is None or point[0] <= until):
                rows.append((point[0], point[1], b.name, point[2]))
    rows.sort(key=lambda row: (row[0], row[2]))
    return rows, max(counts.values(), default=0)


def sparse(connection: Connection, run_id: str, names: Sequence[str],
           after: int | None) -> list[Long]:
    """Every row of these metrics after step `after`, read from the finest buckets where
    they hold what the bucket keeps (one value, or two apart), and row by row from the
    stored rows where a bucket holds more: exact, and for metrics with a value every
    epoch (sparse beside the step metrics) it reads a row or two an epoch, not the
    run's every step."""
    s, width = MetricSummaryRow, WIDTHS[0]
    query = select(s.name, s.bucket, s.n, s.min_step, s.min_epoch, s.min_value, s.max_step,
                   s.max_epoch, s.max_value).where(s.run_id == run_id, s.level == 0,
                                                   s.name.in_(list(names)))
    if after is not None:
        query = query.where(s.bucket >= (after + 1) // width)
    found: dict[tuple[int, str], Long] = {}
    dense: set[int] = set()
    for b in connection.execute(query):
        points = {(b.min_step, b.min_epoch, b.min_value), (b.max_step, b.max_epoch,
                                                           b.max_value)}
        if b.n != len(points) or b.min_step is None:
            dense.add(b.bucket)
            continue
        for step, epoch, value in points:
            if after is None or step > after:
                found[(step, b.name)] = (step, epoch, b.name, value)
    spans: list[tuple[int, int]] = []  # runs of consecutive dense buckets, one read each
    for bucket in sorted(dense):
        if spans and spans[-1][1] == bucket - 1:
            spans[-1] = (spans[-1][0], bucket)
        else:
            spans.append((bucket, bucket))
    if len(spans) > MAX_RANGES:  # dense all over (epochs of a few steps): one plain read
        return _stored(connection, run_id, names, after, None)
    for start, stop in spans:
        low = start * width - 1 if after is None else max(after, start * width - 1)
        for row in _stored(connection, run_id, names, low, (stop + 1) * width - 1):
            found[(row[0], row[2])] = row
    return sorted(found.values(), key=lambda row: (row[0], row[2]))


def _stored(connection: Connection, run_id: str, names: Sequence[str], after: int | None,
            until: int | None) -> list[Long]:
    """The stored rows of these metrics between the steps (after, until], by step."""
    m = MetricValueRow
    query = select(m.step, m.epoch, m.name, m.value).where(m.run_id == run_id,
                                                           m.name.in_(list(names)))
    if after is not None:
        query = query.where(m.step > after)
    if until is not None:
        query = query.where(m.step <= until)
    return [(row[0], row[1], row[2], row[3]) for row in
            connection.execute(query.order_by(m.step, m.name))]


def last_step(connection: Connection, run_id: str) -> int | None:
    """The run's newest stored step (its primary key's index answers)."""
    m = MetricValueRow
    found = connection.execute(select(func.max(m.step)).where(m.run_id == run_id)).scalar()
    return None if found is None else int(found)


def first_step(connection: Connection, run_id: str) -> int | None:
    m = MetricValueRow
    found = connection.execute(select(func.min(m.step)).where(m.run_id == run_id)).scalar()
    return None if found is None else int(found)
