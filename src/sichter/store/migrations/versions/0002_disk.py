"""disk tables

Revision ID: 0002
Revises: 0001

Disk images (issue 3) add one fact per occurrence: whether it was carved from unallocated
space rather than found through file-system metadata. Image integrity (stored and computed
media hashes) is recorded in the ingest's case-log entry, not in a table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("occurrence") as batch:
        batch.add_column(sa.Column("carved", sa.Boolean(), nullable=False,
                                   server_default=sa.text("false")))


def downgrade() -> None:
    with op.batch_alter_table("occurrence") as batch:
        batch.drop_column("carved")
