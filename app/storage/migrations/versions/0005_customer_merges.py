"""customer merges: customers.merged_into, the customer_merges log (what moved, for undo)

Revision ID: 0005_customer_merges
Revises: 0004_customer_card
Create Date: 2026-11-30 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models

revision: str = "0005_customer_merges"
down_revision: str | None = "0004_customer_card"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", app.storage.models.UTCDateTime(), nullable=False),
        sa.Column("undone_at", app.storage.models.UTCDateTime(), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.Column("undo_txn_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["kept_id"], ["customers.id"], name=op.f("fk_customer_merges_kept_id_customers")),
        sa.ForeignKeyConstraint(["merged_id"], ["customers.id"], name=op.f("fk_customer_merges_merged_id_customers")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_customer_merges_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by"], ["operators.id"], name=op.f("fk_customer_merges_undone_by_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
        sa.UniqueConstraint("operator_id", "txn_id", name=op.f("uq_customer_merges_operator_id_txn_id")),
    )
    op.create_index(op.f("ix_customer_merges_kept_id"), "customer_merges", ["kept_id"], unique=False)
    op.create_index(op.f("ix_customer_merges_merged_id"), "customer_merges", ["merged_id"], unique=False)
    # a plain ADD COLUMN (no table rebuild on SQLite: customers is referenced by many tables)
    op.add_column("customers", sa.Column("merged_into", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_customers_merged_into"), "customers", ["merged_into"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_customers_merged_into"), table_name="customers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("merged_into")
    op.drop_index(op.f("ix_customer_merges_merged_id"), table_name="customer_merges")
    op.drop_index(op.f("ix_customer_merges_kept_id"), table_name="customer_merges")
    op.drop_table("customer_merges")
