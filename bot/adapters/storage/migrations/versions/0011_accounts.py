"""Accounts: every account-owned row names its account; rows from before belong to the account `standard`.

Tables whose rows are reached only through an owned parent row (drafts, votes, source confirmations, network
toggles, plans, conversation turns, metric snapshots, amplifier reads) belong through the parent's foreign key.
Process-wide tables (heartbeats, command syncs) have no account. Keys that held for the one account now hold per
account: a sent summary per account and day, usage per account and month, the follower count per account and
day, watch lists, their members and our followers per account.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import warnings
from collections.abc import Mapping

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

DEFAULT_ACCOUNT = "standard"
# Plain ALTER TABLE ADD COLUMN, no batch mode (see 0006): these tables are referred to or keep their keys.
_ADDED = ("news_items", "draft_sets", "posts", "audit_log", "cases", "shown_messages", "notices", "amplifiers",
          "follower_scans")
# The account joins the primary key: (table, the key's columns before, their types).
_REKEYED = (
    ("follower_counts", {"day": sa.String(10)}),
    ("sent_summaries", {"day": sa.String(10)}),
    ("x_usage", {"month": sa.String(7)}),
    ("watch_lists", {"list_id": sa.String(40)}),
    ("watch_list_members", {"list_id": sa.String(40), "user_id": sa.String(40)}),
    ("our_followers", {"user_id": sa.String(40)}),
)


def _account() -> sa.Column:
    return sa.Column("account", sa.String(64), nullable=False, server_default=DEFAULT_ACCOUNT)


def upgrade() -> None:
    for table in _ADDED:
        op.add_column(table, _account())
    op.create_index("ix_posts_account_state_due", "posts", ["account", "state", "due_at"])
    for table, key in _REKEYED:
        _rekey(table, key)


def _rekey(table: str, key: Mapping[str, sa.types.TypeEngine]) -> None:
    """Put ``account`` in front of the table's primary key. None of these tables is referred to by a foreign key,
    so SQLite's rebuild (the only way to change a primary key there) cascades into nothing."""
    bind = op.get_bind()
    columns = ["account", *key]
    if bind.dialect.name != "sqlite":
        op.add_column(table, _account())
        name = sa.inspect(bind).get_pk_constraint(table)["name"] or f"{table}_pkey"
        op.drop_constraint(name, table, type_="primary")
        op.create_primary_key(name, table, columns)
        return
    with warnings.catch_warnings():  # the rebuilt table's key differs from the old one's: that is the point
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(_account())
            for column, type_ in key.items():
                batch.alter_column(column, existing_type=type_, nullable=False)
            batch.create_primary_key(f"pk_{table}", columns)


def downgrade() -> None:
    # Rows of other accounts than `standard` would collide in the narrower keys: only `standard`'s are kept there.
    for table, key in reversed(_REKEYED):
        op.execute(sa.text(f"DELETE FROM {table} WHERE account <> :account").bindparams(account=DEFAULT_ACCOUNT))
        _unkey(table, key)
    op.drop_index("ix_posts_account_state_due", "posts")
    for table in reversed(_ADDED):
        op.drop_column(table, "account")


def _unkey(table: str, key: Mapping[str, sa.types.TypeEngine]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        name = sa.inspect(bind).get_pk_constraint(table)["name"] or f"{table}_pkey"
        op.drop_constraint(name, table, type_="primary")
        op.create_primary_key(name, table, list(key))
        op.drop_column(table, "account")
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.create_primary_key(f"pk_{table}", list(key))
            batch.drop_column("account")
