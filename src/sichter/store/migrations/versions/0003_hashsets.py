"""hashsets tables

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hash_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("scheme", sa.String(40), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("bad_records", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_set")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_set_name")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_hash_set_file_sha256")),
    )
    op.create_table(
        "hash_entry",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("hash_set_id", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("pdq", sa.String(64), nullable=True),
        sa.Column("category", sa.Integer(), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["hash_set_id"], ["hash_set.id"], ondelete="CASCADE",
                                name=op.f("fk_hash_entry_hash_set_id_hash_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_entry")),
    )
    op.create_index("ix_hash_entry_md5", "hash_entry", ["md5"])
    op.create_index("ix_hash_entry_sha1", "hash_entry", ["sha1"])
    op.create_index("ix_hash_entry_sha256", "hash_entry", ["sha256"])
    op.create_index("ix_hash_entry_set_pdq", "hash_entry", ["hash_set_id", "pdq"])
    op.create_table(
        "hash_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("hash_set_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", BigId, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("category", sa.Integer(), nullable=True),
        sa.Column("set_scheme", sa.String(40), nullable=True),
        sa.Column("case_category", sa.String(40), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched_by", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE",
                                name=op.f("fk_hash_match_case_id_case")),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"], ondelete="CASCADE",
                                name=op.f("fk_hash_match_content_id_content")),
        sa.ForeignKeyConstraint(["hash_set_id"], ["hash_set.id"], ondelete="CASCADE",
                                name=op.f("fk_hash_match_hash_set_id_hash_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_match")),
    )
    op.create_index("ix_hash_match_case_content", "hash_match", ["case_id", "content_id"])
    op.create_index(op.f("ix_hash_match_hash_set_id"), "hash_match", ["hash_set_id"])


def downgrade() -> None:
    op.drop_table("hash_match")
    op.drop_table("hash_entry")
    op.drop_table("hash_set")
