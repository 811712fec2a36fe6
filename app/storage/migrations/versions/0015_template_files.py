"""template files: the hub files an answer template sends along (template_files)

Revision ID: 0015_template_files
Revises: 0014_wa_templates
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0015_template_files'
down_revision: str | None = '0014_wa_templates'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('template_files',
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_template_files_file_id_files')),
    sa.ForeignKeyConstraint(['template_id'], ['answer_templates.id'], name=op.f('fk_template_files_template_id_answer_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('template_id', 'position', name=op.f('pk_template_files'))
    )
    op.create_index(op.f('ix_template_files_file_id'), 'template_files', ['file_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_template_files_file_id'), table_name='template_files')
    op.drop_table('template_files')
