"""What the runs list sorts, searches and filters by, as columns of their own: the task a
run trains for, its network's name, dataset, tags as text, score, test score and
duration. Filled here from the JSON each run already holds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

# As app.store.base had them at this revision (a migration keeps its own copy).
HEADLINE = ("val_accuracy", "val_loss", "accuracy", "loss")
TEST_HEADLINE = ("test_accuracy", "test_loss")
COLUMNS = ("task", "network", "dataset", "tag_text", "score", "test_score", "duration_s")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("task", sa.String(32), nullable=True))
        batch.add_column(sa.Column("network", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dataset", sa.String(128), nullable=True))
        batch.add_column(sa.Column("tag_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("test_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("duration_s", sa.Float(), nullable=True))
        batch.create_index("ix_runs_task", ["task"])
        batch.create_index("ix_runs_dataset", ["dataset"])
    connection = op.get_bind()
    runs = sa.table("runs", *(sa.column(name) for name in (
        "id", "spec", "training", "tags", "best_metrics", "test_metrics", "started_at",
        "finished_at", *COLUMNS)))
    rows = connection.execute(sa.select(
        runs.c.id, runs.c.spec, runs.c.training, runs.c.tags, runs.c.best_metrics,
        runs.c.test_metrics, runs.c.started_at, runs.c.finished_at)).all()
    filled = [{"run_id": row.id, **_columns(row)} for row in rows]
    if filled:
        connection.execute(
            runs.update().where(runs.c.id == sa.bindparam("run_id")),
            filled)


def _columns(row: Any) -> dict[str, Any]:
    spec, training = _json(row.spec) or {}, _json(row.training) or {}
    return {
        "task": training.get("task"),
        "network": spec.get("name"),
        "dataset": (training.get("dataset") or {}).get("name"),
        "tag_text": " ".join(_json(row.tags) or []),
        "score": _first(_json(row.best_metrics), HEADLINE),
        "test_score": _first(_json(row.test_metrics), TEST_HEADLINE),
        "duration_s": _seconds(row.started_at, row.finished_at),
    }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _first(metrics: dict[str, Any] | None, names: tuple[str, ...]) -> float | None:
    for name in names:
        value = (metrics or {}).get(name)
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None


def _seconds(start: Any, end: Any) -> float | None:
    if start is None or end is None:
        return None
    start, end = (datetime.fromisoformat(t) if isinstance(t, str) else t for t in (start, end))
    return max(0.0, (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds())


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_dataset")
        batch.drop_index("ix_runs_task")
        for name in reversed(COLUMNS):
            batch.drop_column(name)
