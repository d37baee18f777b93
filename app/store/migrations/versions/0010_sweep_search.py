"""Sweeps that search: a sweep's trials are added as earlier ones end, so a sweep also
records whether it was stopped (no more trials are asked for until it is resumed); and
each trial names its configuration, which the sweeps before were one trial each.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("stopped", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    sweeps = sa.table("sweeps", sa.column("id", sa.String), sa.column("trials", sa.JSON))
    connection = op.get_bind()
    for sweep_id, trials in connection.execute(sa.select(sweeps.c.id, sweeps.c.trials)).all():
        numbered = [{**trial, "config": i, "repeat": 0} for i, trial in enumerate(trials or [])]
        connection.execute(sweeps.update().where(sweeps.c.id == sweep_id)
                           .values(trials=numbered))


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("stopped")
