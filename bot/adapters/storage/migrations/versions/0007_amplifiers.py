"""Who carried a post: amplifier reads and amplifiers, the watchlist's X lists, our followers, estimated X costs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("x_usage") as batch:
        batch.add_column(sa.Column("cost_micro_usd", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "amplifier_reads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("step_seconds", sa.Integer, nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("taken_at", UtcDateTime()),
        sa.Column("reposts", sa.Integer),
        sa.Column("quotes", sa.Integer),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("post_id", "step_seconds", name="uq_amplifier_reads_post_step"),
    )
    op.create_index("ix_amplifier_reads_post_id", "amplifier_reads", ["post_id"])
    op.create_index("ix_amplifier_reads_state_due", "amplifier_reads", ["state", "due_at"])
    op.create_table(
        "amplifiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("handle", sa.String(40), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("followers", sa.Integer, nullable=False),
        sa.Column("verified_type", sa.String(20)),
        sa.Column("quote_id", sa.String(40)),
        sa.Column("quote_text", sa.Text),
        sa.Column("first_seen", UtcDateTime(), nullable=False),
        sa.Column("notable", sa.Boolean, nullable=False),
        sa.Column("label", sa.String(60)),
        sa.Column("follows_us", sa.Boolean),
        sa.Column("alerted_at", UtcDateTime()),
        sa.UniqueConstraint("post_id", "user_id", "kind", name="uq_amplifiers_post_user_kind"),
    )
    op.create_index("ix_amplifiers_post_id", "amplifiers", ["post_id"])
    op.create_table(
        "watch_lists",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("refreshed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "watch_list_members",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("handle", sa.String(40), nullable=False),
    )
    op.create_table(
        "follower_scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table("our_followers", sa.Column("user_id", sa.String(40), primary_key=True))


def downgrade() -> None:
    op.drop_table("our_followers")
    op.drop_table("follower_scans")
    op.drop_table("watch_list_members")
    op.drop_table("watch_lists")
    op.drop_table("amplifiers")
    op.drop_table("amplifier_reads")
    with op.batch_alter_table("x_usage") as batch:
        batch.drop_column("cost_micro_usd")
