"""e-mail: the Message-IDs of e-mail conversations (threading of replies both ways)

Revision ID: 0010_email
Revises: 0006_channels
Create Date: 2026-11-30 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models


revision: str = '0010_email'
down_revision: str | None = '0009_attachments'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('email_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('header_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), server_default='', nullable=False),
    sa.Column('refs', sa.Text(), server_default='', nullable=False),
    sa.Column('full_text', sa.Text(), server_default='', nullable=False),
    sa.Column('source', sa.String(length=255), server_default='', nullable=False),
    sa.Column('created_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint("direction IN ('in', 'out')", name=op.f('ck_email_messages_direction')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_email_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_email_messages_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('channel', 'header_id', name=op.f('uq_email_messages_channel_header_id')),
    sa.UniqueConstraint('message_id', name=op.f('uq_email_messages_message_id'))
    )
    op.create_index('ix_email_messages_conversation_id_id', 'email_messages', ['conversation_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_email_messages_conversation_id_id', table_name='email_messages')
    op.drop_table('email_messages')
