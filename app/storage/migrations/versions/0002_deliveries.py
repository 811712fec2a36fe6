"""deliveries: must-deliver events awaiting the recipient's ack

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_deliveries_operator_id_operators"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seq"], ["events.seq"], name=op.f("fk_deliveries_seq_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("operator_id", "seq", name=op.f("pk_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
