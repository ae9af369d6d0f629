"""publications

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:40:00.000000

Public publications by day and version, their open-data files, their rendered pages and
the revisions of past figures they record.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'publication',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by', sa.String(length=64), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('tables', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
        sa.UniqueConstraint('day', 'version', name=op.f('uq_publication_day_version')),
    )
    op.create_table(
        'published_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('table_name', sa.String(length=80), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('scope', sa.String(length=12), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['publication_id'], ['publication.id'],
                                name=op.f('fk_published_file_publication_id_publication')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_published_file')),
        sa.UniqueConstraint('publication_id', 'name',
                            name=op.f('uq_published_file_publication_id_name')),
    )
    op.create_index(op.f('ix_published_file_publication_id'), 'published_file',
                    ['publication_id'], unique=False)
    op.create_table(
        'published_page',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=120), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['publication_id'], ['publication.id'],
                                name=op.f('fk_published_page_publication_id_publication')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_published_page')),
    )
    op.create_index(op.f('ix_published_page_publication_id'), 'published_page',
                    ['publication_id'], unique=False)
    op.create_index('uq_published_page_publication_id_path_language', 'published_page',
                    ['publication_id', 'path', 'language'], unique=True)
    op.create_table(
        'publication_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('table_name', sa.String(length=80), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('area', sa.String(length=120), nullable=False),
        sa.Column('column_name', sa.String(length=80), nullable=False),
        sa.Column('before', sa.String(length=24), nullable=False),
        sa.Column('after', sa.String(length=24), nullable=False),
        sa.Column('reason_en', sa.Text(), nullable=False),
        sa.Column('reason_zh', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['publication_id'], ['publication.id'],
                                name=op.f('fk_publication_revision_publication_id_publication')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_revision')),
    )
    op.create_index(op.f('ix_publication_revision_publication_id'), 'publication_revision',
                    ['publication_id'], unique=False)


def downgrade() -> None:
    op.drop_table('publication_revision')
    op.drop_table('published_page')
    op.drop_table('published_file')
    op.drop_table('publication')
