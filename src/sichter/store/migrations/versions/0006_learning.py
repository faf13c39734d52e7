"""learning tables

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("algorithm", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("sichter_version", sa.String(length=40), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("training_cases", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("n_relevant", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_model")),
        sa.UniqueConstraint("version", name=op.f("uq_learned_model_version")),
    )
    op.create_table(
        "active_learning_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("decisions_used", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"],
                                name=op.f("fk_active_learning_state_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_active_learning_state")),
        sa.UniqueConstraint("case_id", name=op.f("uq_active_learning_state_case_id")),
    )
    op.create_table(
        "qa_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("sichter_version", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_qa_sample_case_id_case"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sample")),
    )
    with op.batch_alter_table("qa_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_sample_case_id"), ["case_id"], unique=False)
    op.create_table(
        "learned_priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_learned_priority_case_id_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"],
                                name=op.f("fk_learned_priority_content_id_content"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_priority")),
        sa.UniqueConstraint("content_id", name=op.f("uq_learned_priority_content_id")),
    )
    with op.batch_alter_table("learned_priority", schema=None) as batch_op:
        batch_op.create_index("ix_learned_priority_case_score", ["case_id", "score"], unique=False)
    op.create_table(
        "qa_sample_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"],
                                name=op.f("fk_qa_sample_item_content_id_content"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sample_id"], ["qa_sample.id"],
                                name=op.f("fk_qa_sample_item_sample_id_qa_sample"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sample_item")),
        sa.UniqueConstraint("sample_id", "content_id", name=op.f("uq_qa_sample_item_sample_id")),
    )
    with op.batch_alter_table("qa_sample_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_sample_item_content_id"), ["content_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qa_sample_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_sample_item_content_id"))
    op.drop_table("qa_sample_item")
    with op.batch_alter_table("learned_priority", schema=None) as batch_op:
        batch_op.drop_index("ix_learned_priority_case_score")
    op.drop_table("learned_priority")
    with op.batch_alter_table("qa_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_sample_case_id"))
    op.drop_table("qa_sample")
    op.drop_table("active_learning_state")
    op.drop_table("learned_model")
