"""customer timeline: notes on the customer card and the indexes of the timeline's queries

Revision ID: 0013_timeline
Revises: 0012_kb_bot
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models


revision: str = '0013_timeline'
down_revision: str | None = '0012_kb_bot'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('customer_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('txn_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.Column('edited_at', app.storage.models.UTCDateTime(), nullable=True),
    sa.Column('edited_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_notes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_customer_notes_operator_id_operators')),
    sa.ForeignKeyConstraint(['edited_by'], ['operators.id'], name=op.f('fk_customer_notes_edited_by_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_notes')),
    sa.UniqueConstraint('operator_id', 'txn_id', name=op.f('uq_customer_notes_operator_id_txn_id'))
    )
    op.create_index('ix_customer_notes_customer_created', 'customer_notes', ['customer_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_conversations_customer_created', 'conversations', ['customer_id', 'created_at', 'id'], unique=False)
    # partial: only operators' internal notes (SQLite and PostgreSQL both have partial indexes)
    op.create_index(
        'ix_messages_operator_notes', 'messages', ['conversation_id', 'created_at', 'id'], unique=False,
        sqlite_where=sa.text("internal = 1 AND author = 'operator'"),
        postgresql_where=sa.text("internal AND author = 'operator'"),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_operator_notes', table_name='messages')
    op.drop_index('ix_conversations_customer_created', table_name='conversations')
    op.drop_index('ix_customer_notes_customer_created', table_name='customer_notes')
    op.drop_table('customer_notes')
