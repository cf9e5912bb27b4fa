"""Conversation workflow: cases, shown messages, votes, conversation turns, notices, command sync.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("news_id", sa.Integer, sa.ForeignKey("news_items.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("requester_id", sa.BigInteger, nullable=False),
        sa.Column("guild_id", sa.BigInteger),
        sa.Column("channel_id", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("current_set_id", sa.Integer, sa.ForeignKey("draft_sets.id", ondelete="SET NULL")),
        sa.Column("pending", sa.String(20)),
        sa.Column("pending_instruction", sa.Text),
    )
    op.create_index("ix_cases_channel_id", "cases", ["channel_id"])
    op.create_table(
        "shown_messages",
        sa.Column("message_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("set_id", sa.Integer),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("numbers", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("first", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_shown_messages_case_id", "shown_messages", ["case_id"])
    op.create_index("ix_shown_messages_set_id", "shown_messages", ["set_id"])
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("set_id", sa.Integer, sa.ForeignKey("draft_sets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("voter_id", sa.BigInteger, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("draft_id", "voter_id"),
    )
    op.create_index("ix_votes_set_id", "votes", ["set_id"])
    op.create_table(
        "conversation_turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_conversation_turns_case_id", "conversation_turns", ["case_id"])
    op.create_table(
        "notices",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(40), primary_key=True),
    )
    op.create_table(
        "command_syncs",
        sa.Column("guild_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("command_syncs", "notices", "conversation_turns", "votes", "shown_messages", "cases"):
        op.drop_table(table)
