"""kb: knowledge base articles, synonym groups, the log of article edits

Revision ID: 0007_kb
Revises: 0006_channels
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.storage.models


revision: str = '0007_kb'
down_revision: str | None = '0006_channels'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('kb_articles',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('tags', sa.Text(), server_default='[]', nullable=False),
    sa.Column('visibility', sa.String(length=16), server_default='internal', nullable=False),
    sa.Column('updated_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.Column('author', sa.String(length=128), server_default='', nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("lang IN ('ru', 'uk', 'en')", name=op.f('ck_kb_articles_lang')),
    sa.CheckConstraint("visibility IN ('internal', 'public')", name=op.f('ck_kb_articles_visibility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    op.create_table('kb_synonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_synonyms'))
    )
    op.create_table('kb_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('txn_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', app.storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_kb_changes_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_changes')),
    sa.UniqueConstraint('operator_id', 'txn_id', name=op.f('uq_kb_changes_operator_id_txn_id'))
    )
    op.create_index(op.f('ix_kb_changes_article_id'), 'kb_changes', ['article_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kb_changes_article_id'), table_name='kb_changes')
    op.drop_table('kb_changes')
    op.drop_table('kb_synonyms')
    op.drop_table('kb_articles')
