"""A classroom: accounts (users, their browser sessions and API tokens), classes and
their members, assignments and submissions, lesson progress per user; and the user each
run and sweep belongs to (null for those made without accounts).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.store.tables import UtcDateTime

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def _user_key(primary: bool = False, index: bool = False) -> sa.Column[str]:
    return sa.Column("user_id", sa.String(64), sa.ForeignKey(
        "users.id", ondelete="CASCADE"), primary_key=primary, index=index,
        nullable=False)


def upgrade() -> None:
    for table in ("runs", "sweeps"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
            batch.create_index(f"ix_{table}_owner", ["owner"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=True),
        sa.Column("gpu_seconds_deleted", sa.Float(), nullable=False, server_default="0"))
    op.create_table(
        "sessions",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        _user_key(index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False))
    op.create_table(
        "api_tokens",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        _user_key(index=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False))
    op.create_table(
        "classes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("teacher_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("invite_code", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False))
    op.create_table(
        "class_members",
        sa.Column("class_id", sa.String(64), sa.ForeignKey("classes.id", ondelete="CASCADE"),
                  primary_key=True),
        _user_key(primary=True, index=True),
        sa.Column("joined_at", UtcDateTime(), nullable=False))
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("class_id", sa.String(64), sa.ForeignKey("classes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False))
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("assignment_id", sa.String(64),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        _user_key(index=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True))
    op.create_table(
        "lesson_progress",
        _user_key(primary=True),
        sa.Column("lesson_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False))


def downgrade() -> None:
    for table in ("lesson_progress", "submissions", "assignments", "class_members", "classes",
                  "api_tokens", "sessions", "users"):
        op.drop_table(table)
    for table in ("runs", "sweeps"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_owner")
            batch.drop_column("owner")
