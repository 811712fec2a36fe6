"""attachments: files kept by the hub (metadata; the bytes live in the files directory)
and the files attached to messages

Revision ID: 0009_attachments
Revises: 0006_channels
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models

revision: str = '0009_attachments'
down_revision: str | None = '0006_channels'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mime', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), server_default='upload', nullable=False),
    sa.Column('created_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_files_customer_id_customers')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_files_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_files'))
    )
    op.create_index(op.f('ix_files_sha256'), 'files', ['sha256'], unique=False)
    op.create_index(op.f('ix_files_operator_id'), 'files', ['operator_id'], unique=False)
    op.create_index(op.f('ix_files_customer_id'), 'files', ['customer_id'], unique=False)
    op.create_table('message_attachments',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_message_attachments_file_id_files')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'position', name=op.f('pk_message_attachments'))
    )
    op.create_index(op.f('ix_message_attachments_file_id'), 'message_attachments', ['file_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_message_attachments_file_id'), table_name='message_attachments')
    op.drop_table('message_attachments')
    op.drop_index(op.f('ix_files_customer_id'), table_name='files')
    op.drop_index(op.f('ix_files_operator_id'), table_name='files')
    op.drop_index(op.f('ix_files_sha256'), table_name='files')
    op.drop_table('files')
