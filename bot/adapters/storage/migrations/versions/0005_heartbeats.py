"""Signs of life of the running bot: its heartbeat and the gateway's state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("component", sa.String(40), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(20)),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
