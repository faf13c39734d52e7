"""review tables

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("name", name=op.f("uq_account_name")),
    )
    op.create_table(
        "case_member",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_case_member_account_id_account"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_member_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "account_id", name=op.f("pk_case_member")),
    )
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("previous_category", sa.String(length=40), nullable=True),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheme", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_review_decision_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"], name=op.f("fk_review_decision_content_id_content"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decision")),
    )
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.create_index("ix_review_decision_case_content", ["case_id", "content_id"], unique=False)
        batch_op.create_index("ix_review_decision_case_user", ["case_id", "user", "id"], unique=False)

    op.create_table(
        "review_state",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_review_state_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"], name=op.f("fk_review_state_content_id_content"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_review_state")),
    )
    with op.batch_alter_table("review_state", schema=None) as batch_op:
        batch_op.create_index("ix_review_state_case_category", ["case_id", "category"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_audit_event_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_audit_event_case_id")),
    )
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.create_index("ix_content_case_pdq", ["case_id", "pdq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_index("ix_content_case_pdq")
    op.drop_table("audit_event")
    with op.batch_alter_table("review_state", schema=None) as batch_op:
        batch_op.drop_index("ix_review_state_case_category")
    op.drop_table("review_state")
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decision_case_user")
        batch_op.drop_index("ix_review_decision_case_content")
    op.drop_table("review_decision")
    op.drop_table("case_member")
    op.drop_table("account")
