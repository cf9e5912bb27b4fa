"""Drafts per network: each draft's length on every active network, and the networks approvers left out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, no batch mode (see 0006). A draft stored before has no lengths: X alone.
    op.add_column("drafts", sa.Column("lengths", sa.JSON()))
    op.create_table(
        "network_toggles",
        sa.Column("set_id", sa.Integer(), sa.ForeignKey("draft_sets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("network", sa.String(20), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("network_toggles")
    op.drop_column("drafts", "lengths")
