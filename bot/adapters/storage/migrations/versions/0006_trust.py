"""Trust before posting: the article's outlet and date, each draft's premise, pattern and source-check need,
the reasons drafts were dropped, a case's tone, approvers' source confirmations, and the source reply of a post.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from bot.adapters.storage.migrations.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, no batch mode: on SQLite a batch recreates the table, and with foreign keys on,
    # dropping the old drafts or news table would cascade into posts, votes and cases.
    op.add_column("news_items", sa.Column("outlet", sa.Text()))
    op.add_column("news_items", sa.Column("published", sa.Date()))
    op.add_column("draft_sets", sa.Column("dropped", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("drafts", sa.Column("premise", sa.Text(), nullable=False, server_default=""))
    op.add_column("drafts", sa.Column("pattern", sa.String(40), nullable=False, server_default="andere"))
    op.add_column("drafts", sa.Column("needs_source_check", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A draft stored before whose quote was not found in the news needs the source check like a new one.
    op.execute("UPDATE drafts SET needs_source_check = NOT evidence_found")
    op.add_column("cases", sa.Column("tone", sa.String(20)))
    op.add_column("posts", sa.Column("source_line", sa.Text()))
    # A post approved before the upgrade replies with its bare link, as it would have before.
    op.execute("UPDATE posts SET source_line = source_url")
    op.create_table(
        "source_confirmations",
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite 3.35 and newer), for the same reason as above: no table is recreated.
    op.drop_table("source_confirmations")
    for table, column in [("posts", "source_line"), ("cases", "tone"), ("drafts", "needs_source_check"),
                          ("drafts", "pattern"), ("drafts", "premise"), ("draft_sets", "dropped"),
                          ("news_items", "published"), ("news_items", "outlet")]:
        op.drop_column(table, column)
