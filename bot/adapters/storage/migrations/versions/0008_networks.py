"""Posts per network: one post per draft set and network, the network's id of the post under a neutral name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A batch rebuilds the table on SQLite (its unique constraint cannot be dropped otherwise); `migrate` switches
    # foreign keys off meanwhile, so the rebuild does not cascade into snapshots and amplifier reads.
    # Unnamed constraints get names by this convention when SQLite's table is reflected for the rebuild.
    with op.batch_alter_table("posts", naming_convention=_NAMES) as batch:
        batch.add_column(sa.Column("network", sa.String(20), nullable=False, server_default="x"))
        batch.alter_column("x_post_id", new_column_name="remote_id", type_=sa.Text(), existing_type=sa.String(40))
        batch.drop_constraint(_set_unique_name(), type_="unique")
        batch.create_unique_constraint("uq_posts_set_network", ["set_id", "network"])


_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _set_unique_name() -> str:
    """The name the database gave the unique constraint on posts.set_id (created unnamed in 0002)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("posts"):
        if constraint["column_names"] == ["set_id"] and constraint["name"]:
            return constraint["name"]  # PostgreSQL: posts_set_id_key
    return "uq_posts_set_id"  # SQLite: named by _NAMES


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_constraint("uq_posts_set_network", type_="unique")
        batch.create_unique_constraint("uq_posts_set_id", ["set_id"])
        batch.alter_column("remote_id", new_column_name="x_post_id", type_=sa.String(40), existing_type=sa.Text())
        batch.drop_column("network")
