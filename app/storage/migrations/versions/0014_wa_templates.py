"""wa templates: WhatsApp message templates of a channel, and template sends in the outbox

Revision ID: 0014_wa_templates
Revises: 0013_timeline
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models


revision: str = '0014_wa_templates'
down_revision: str | None = '0013_timeline'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column('channel_outbox', sa.Column('template', sa.Text(), server_default='', nullable=False))
    op.create_table('wa_templates',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), server_default='', nullable=False),
    sa.Column('header', sa.Text(), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('footer', sa.Text(), server_default='', nullable=False),
    sa.Column('params', sa.Integer(), server_default='0', nullable=False),
    sa.Column('usable', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('why_not', sa.String(length=200), server_default='', nullable=False),
    sa.Column('fetched_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'name', 'language', name=op.f('pk_wa_templates'))
    )


def downgrade() -> None:
    op.drop_table('wa_templates')
    with op.batch_alter_table('channel_outbox') as batch_op:
        batch_op.drop_column('template')
