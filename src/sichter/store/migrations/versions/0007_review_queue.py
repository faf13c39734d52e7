"""review queue

Revision ID: 0007
Revises: 0006

The precomputed review grid (``review_queue``). It is derived data: a store upgraded from
0006 fills it on the first grid page of each case (``sichter.web.services.queue``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (index name, equality columns after case_id and is_leader, columns after the order
# priority DESC, content_id) — the trailing ones let filters be checked in the index
_ORDER_INDEXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("ix_review_queue_order", (), ("explicit", "media_type", "reviewed")),
    ("ix_review_queue_reviewed", ("reviewed",), ("explicit",)),
    ("ix_review_queue_category", ("category",), ()),
    ("ix_review_queue_suggested", ("suggested_category",), ("reviewed",)),
    ("ix_review_queue_band", ("youngest_band",), ("reviewed",)),
    ("ix_review_queue_status", ("known_status",), ("reviewed",)),
)

def upgrade() -> None:
    op.create_table(
        "review_queue",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("stack_key", sa.String(length=64), nullable=False),
        sa.Column("stack_size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=10), nullable=False),
        sa.Column("suggested_category", sa.String(length=40), nullable=True),
        sa.Column("youngest_band", sa.String(length=20), nullable=True),
        sa.Column("explicit", sa.Float(), nullable=True),
        sa.Column("known_status", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_review_queue_case_id_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"],
                                name=op.f("fk_review_queue_content_id_content"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "content_id", name=op.f("pk_review_queue")),
    )
    with op.batch_alter_table("review_queue", schema=None) as batch_op:
        for name, eq, tail in _ORDER_INDEXES:
            batch_op.create_index(name, ["case_id", "is_leader", *eq, sa.text("priority DESC"),
                                         "content_id", *tail], unique=False)
        batch_op.create_index("ix_review_queue_stack", ["case_id", "stack_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_review_queue_stack")
        for name, _, _ in reversed(_ORDER_INDEXES):
            batch_op.drop_index(name)
    op.drop_table("review_queue")
