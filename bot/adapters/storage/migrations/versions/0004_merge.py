"""Join the workflow and tracking branches into one history.

Revision ID: 0004
Revises: 0003t, 0003w
Create Date: 2026-11-25
"""

revision = "0004"
down_revision = ("0003t", "0003w")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
