"""Each metric's lowest and highest value per stretch of steps, at several widths, so that
a long run's charts read a few thousand rows (app.store.summaries). Filled here from the
metric rows every run already has.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

CHUNK = 200_000  # metric rows read at a time while filling


def upgrade() -> None:
    op.create_table(
        "metric_summaries",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("min_step", sa.Integer(), nullable=True),
        sa.Column("min_epoch", sa.Integer(), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_step", sa.Integer(), nullable=True),
        sa.Column("max_epoch", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name="fk_metric_summaries_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "name", "level", "bucket",
                                name="pk_metric_summaries"),
    )
    # the summaries of this revision, from the rows as they are: app.store.summaries
    # keeps them from here on (its functions read and write the table as this made it)
    from app.store.summaries import summarize, upsert

    connection = op.get_bind()
    metrics = sa.table("metrics", *(sa.column(n) for n in ("run_id", "step", "epoch", "name",
                                                            "value")))
    runs = connection.execute(sa.select(metrics.c.run_id).distinct()).scalars().all()
    merge = upsert(connection.dialect.name)
    for run_id in runs:
        after = -1
        while True:
            rows = connection.execute(
                sa.select(metrics.c.step, metrics.c.epoch, metrics.c.name, metrics.c.value)
                .where(metrics.c.run_id == run_id, metrics.c.step > after)
                .order_by(metrics.c.step).limit(CHUNK)).all()
            if not rows:
                break
            last = rows[-1][0]
            if len(rows) == CHUNK:  # the last step may go on in the next chunk
                rows = [row for row in rows if row[0] < last]
                last = rows[-1][0] if rows else last
            buckets = summarize(rows)
            if buckets:
                connection.execute(merge, [{"run_id": run_id, **b} for b in buckets])
            after = last


def downgrade() -> None:
    op.drop_table("metric_summaries")
