"""kb bot: the web chat's bot first line (queues.bot_first_line) and its offers

Revision ID: 0012_kb_bot
Revises: 0010_email
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models


revision: str = '0012_kb_bot'
down_revision: str | None = '0010_email'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column('queues', sa.Column('bot_first_line', sa.Boolean(), server_default='0', nullable=False))
    op.create_table('kb_bot_offers',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=16), server_default='offered', nullable=False),
    sa.Column('offered_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.Column('decided_at', app.storage.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint("outcome IN ('offered', 'helped', 'handed_over')", name=op.f('ck_kb_bot_offers_outcome')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_kb_bot_offers_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_kb_bot_offers'))
    )
    op.create_index(op.f('ix_kb_bot_offers_offered_at'), 'kb_bot_offers', ['offered_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kb_bot_offers_offered_at'), table_name='kb_bot_offers')
    op.drop_table('kb_bot_offers')
    op.drop_column('queues', 'bot_first_line')
