"""original path of an occurrence

Revision ID: 0010
Revises: 0009

An iOS backup stores its files under hashed names; its manifest says where each was on the
phone. The occurrence keeps that beside its path in the evidence.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("occurrence") as batch:
        batch.add_column(sa.Column("original_path", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("occurrence") as batch:
        batch.drop_column("original_path")
