"""certificates

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 14:30:00.000000

Signer keys, issued certificates and revoked certificate identifiers (as hashes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'signer_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=16), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('issuer', sa.String(length=80), nullable=False),
        sa.Column('usages', sa.String(length=40), nullable=False),
        sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
        sa.Column('private_key_sealed', sa.Text(), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.String(length=64), nullable=True),
        sa.Column('revocation_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signer_key')),
        sa.UniqueConstraint('kid', name=op.f('uq_signer_key_kid')),
    )
    op.create_table(
        'issued_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('identifier', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('signer_key_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('event_day', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'],
                                name=op.f('fk_issued_certificate_resident_id_resident')),
        sa.ForeignKeyConstraint(['signer_key_id'], ['signer_key.id'],
                                name=op.f('fk_issued_certificate_signer_key_id_signer_key')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_certificate')),
        sa.UniqueConstraint('identifier', name=op.f('uq_issued_certificate_identifier')),
    )
    op.create_index(op.f('ix_issued_certificate_resident_id'), 'issued_certificate',
                    ['resident_id'], unique=False)
    op.create_index(op.f('ix_issued_certificate_signer_key_id'), 'issued_certificate',
                    ['signer_key_id'], unique=False)
    op.create_table(
        'certificate_revocation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('identifier_hash', sa.String(length=32), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_by', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_revocation')),
        sa.UniqueConstraint('identifier_hash',
                            name=op.f('uq_certificate_revocation_identifier_hash')),
    )


def downgrade() -> None:
    op.drop_table('certificate_revocation')
    op.drop_table('issued_certificate')
    op.drop_table('signer_key')
