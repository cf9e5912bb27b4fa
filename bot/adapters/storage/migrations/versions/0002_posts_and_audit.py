"""Posts (exactly-once state machine) and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("set_id", sa.Integer, sa.ForeignKey("draft_sets.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("approved_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("approved_by", sa.JSON, nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempted_at", UtcDateTime()),
        sa.Column("posted_at", UtcDateTime()),
        sa.Column("x_post_id", sa.String(40)),
        sa.Column("url", sa.Text),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("followers_at_post", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("retryable", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("uncertain", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_posts_state", "posts", ["state"])
    op.create_index("ix_posts_due_at", "posts", ["due_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100)),
        sa.Column("set_id", sa.Integer),
        sa.Column("post_id", sa.Integer),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_set_id", "audit_log", ["set_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("posts")
