"""News items, draft sets and drafts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(10)),
        sa.Column("author_id", sa.String(40)),
    )
    op.create_table(
        "draft_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("news_id", sa.Integer, sa.ForeignKey("news_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("instruction", sa.Text),
        sa.Column("llm_calls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(20), nullable=False, server_default="open"),
    )
    op.create_index("ix_draft_sets_news_id", "draft_sets", ["news_id"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("set_id", sa.Integer, sa.ForeignKey("draft_sets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence_found", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("weighted_length", sa.Integer, nullable=False),
        sa.Column("language", sa.String(10)),
        sa.Column("warnings", sa.JSON, nullable=False),
    )
    op.create_index("ix_drafts_set_id", "drafts", ["set_id"])


def downgrade() -> None:
    op.drop_table("drafts")
    op.drop_table("draft_sets")
    op.drop_table("news_items")
