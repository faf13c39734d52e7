"""ai tables

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ai_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_model")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_ai_model_name")),
    )
    op.create_table(
        "triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("suggested_category", sa.String(length=40), nullable=False),
        sa.Column("youngest_band", sa.String(length=20), nullable=False),
        sa.Column("explicit", sa.Float(), nullable=True),
        sa.Column("known_status", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_triage_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_triage_content_id_content"),
            ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage")),
        sa.UniqueConstraint("content_id", name=op.f("uq_triage_content_id")),
    )
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.create_index("ix_triage_case_priority", ["case_id", "priority"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_case_priority")
    op.drop_table("triage")
    op.drop_table("ai_model")
