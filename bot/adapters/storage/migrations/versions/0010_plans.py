"""Planned posts: a plan per draft set (⏰ or /planen), and posts that wait for their planned time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, no batch mode (see 0006). A post stored before waited for its undo window.
    op.add_column("posts", sa.Column("planned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "plans",
        sa.Column("set_id", sa.Integer(), sa.ForeignKey("draft_sets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("asking", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("planned_at", UtcDateTime()),
        sa.Column("said", sa.Text(), nullable=False, server_default=""),
        sa.Column("best_time", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("plans")
    op.drop_column("posts", "planned")
