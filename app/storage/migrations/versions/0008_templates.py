"""answer templates: answer_templates (personal and team, shortcode unique per scope,
a reserved attachments column) and template_commands (idempotent saves and deletes)

Revision ID: 0008_templates
Revises: 0007_kb
Create Date: 2026-11-30 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models

revision: str = '0008_templates'
down_revision: str | None = '0007_kb'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('answer_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('scope_key', sa.String(length=32), nullable=False),
    sa.Column('shortcode', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=64), server_default='', nullable=False),
    sa.Column('language', sa.String(length=8), server_default='', nullable=False),
    sa.Column('attachments', sa.Text(), nullable=True),
    sa.Column('updated_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("scope IN ('personal', 'team')", name=op.f('ck_answer_templates_scope')),
    sa.ForeignKeyConstraint(['owner_id'], ['operators.id'], name=op.f('fk_answer_templates_owner_id_operators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['operators.id'], name=op.f('fk_answer_templates_updated_by_operators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_templates')),
    sa.UniqueConstraint('scope_key', 'shortcode', name=op.f('uq_answer_templates_scope_key_shortcode'))
    )
    with op.batch_alter_table('answer_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_templates_owner_id'), ['owner_id'], unique=False)

    op.create_table('template_commands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('txn_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_template_commands_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_commands')),
    sa.UniqueConstraint('operator_id', 'txn_id', name=op.f('uq_template_commands_operator_id_txn_id'))
    )


def downgrade() -> None:
    op.drop_table('template_commands')
    with op.batch_alter_table('answer_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_templates_owner_id'))
    op.drop_table('answer_templates')
