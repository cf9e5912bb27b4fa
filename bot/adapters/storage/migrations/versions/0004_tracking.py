"""Metric snapshots, follower counts, sent summaries and the X request counter.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("step_seconds", sa.Integer, nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("taken_at", UtcDateTime()),
        sa.Column("retweets", sa.Integer),
        sa.Column("likes", sa.Integer),
        sa.Column("replies", sa.Integer),
        sa.Column("quotes", sa.Integer),
        sa.Column("bookmarks", sa.Integer),
        sa.Column("impressions", sa.Integer),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("post_id", "step_seconds", name="uq_metric_snapshots_post_step"),
    )
    op.create_index("ix_metric_snapshots_post_id", "metric_snapshots", ["post_id"])
    op.create_index("ix_metric_snapshots_state_due", "metric_snapshots", ["state", "due_at"])
    op.create_table(
        "follower_counts",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "sent_summaries",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime()),
    )
    op.create_table(
        "x_usage",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("read_requests", sa.Integer, nullable=False, server_default="0"),
        sa.Column("read_items", sa.Integer, nullable=False, server_default="0"),
        sa.Column("write_requests", sa.Integer, nullable=False, server_default="0"),
        sa.Column("budget_notice_level", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("x_usage")
    op.drop_table("sent_summaries")
    op.drop_table("follower_counts")
    op.drop_table("metric_snapshots")
