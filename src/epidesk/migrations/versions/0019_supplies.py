"""supplies

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 14:11:36.585429

Household supplies: the households served, recorded needs, requests, depots, stock lots,
receipts, the movement log, delivery batches and deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('supply_stock_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=True),
    sa.Column('problem_counts', sa.Text(), nullable=True),
    sa.Column('problem_count', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_stock_receipt')),
    sa.UniqueConstraint('digest', name=op.f('uq_supply_stock_receipt_digest'))
    )
    with op.batch_alter_table('supply_stock_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_stock_receipt_received_at'), ['received_at'], unique=False)

    op.create_table('supply_depot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_supply_depot_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_depot')),
    sa.UniqueConstraint('code', name=op.f('uq_supply_depot_code'))
    )
    with op.batch_alter_table('supply_depot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_depot_district_id'), ['district_id'], unique=False)

    op.create_table('supply_stock_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=24), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['depot_id'], ['supply_depot.id'], name=op.f('fk_supply_stock_lot_depot_id_supply_depot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_stock_lot')),
    sa.UniqueConstraint('depot_id', 'item', 'lot', name=op.f('uq_supply_stock_lot_depot_id_item_lot'))
    )
    with op.batch_alter_table('supply_stock_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_stock_lot_depot_id'), ['depot_id'], unique=False)

    op.create_table('supply_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('hold_reason', sa.Text(), nullable=False),
    sa.Column('equipped', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_supply_batch_building_id_building')),
    sa.ForeignKeyConstraint(['depot_id'], ['supply_depot.id'], name=op.f('fk_supply_batch_depot_id_supply_depot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_batch'))
    )
    with op.batch_alter_table('supply_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_batch_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_batch_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_batch_on_day'), ['on_day'], unique=False)

    op.create_table('supply_stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=24), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['supply_batch.id'], name=op.f('fk_supply_stock_movement_batch_id_supply_batch')),
    sa.ForeignKeyConstraint(['depot_id'], ['supply_depot.id'], name=op.f('fk_supply_stock_movement_depot_id_supply_depot')),
    sa.ForeignKeyConstraint(['receipt_id'], ['supply_stock_receipt.id'], name=op.f('fk_supply_stock_movement_receipt_id_supply_stock_receipt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_stock_movement'))
    )
    with op.batch_alter_table('supply_stock_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_stock_movement_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_supply_stock_movement_depot_item_day', ['depot_id', 'item', 'on_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_stock_movement_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('supply_household',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('restricted_since', sa.Date(), nullable=False),
    sa.Column('restricted_until', sa.Date(), nullable=True),
    sa.Column('last_delivery_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_supply_household_building_id_building')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_supply_household_household_id_household')),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_supply_household'))
    )
    with op.batch_alter_table('supply_household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_household_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_household_restricted_until'), ['restricted_until'], unique=False)

    op.create_table('supply_household_need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_supply_household_need_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_household_need'))
    )
    with op.batch_alter_table('supply_household_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_household_need_household_id'), ['household_id'], unique=False)

    op.create_table('supply_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=64), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('items', sa.String(length=200), nullable=False),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=True),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_supply_request_district_id_district')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_supply_request_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_supply_request_reference'))
    )
    with op.batch_alter_table('supply_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_request_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_request_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_request_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_request_source_key'), ['source_key'], unique=False)
        batch_op.create_index('ix_supply_request_status_household', ['status', 'household_id'], unique=False)

    op.create_table('supply_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('stop', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('items', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['supply_batch.id'], name=op.f('fk_supply_delivery_batch_id_supply_batch')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_supply_delivery_household_id_household')),
    sa.ForeignKeyConstraint(['request_id'], ['supply_request.id'], name=op.f('fk_supply_delivery_request_id_supply_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_delivery'))
    )
    with op.batch_alter_table('supply_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_delivery_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_supply_delivery_household_status', ['household_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_delivery_request_id'), ['request_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('supply_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_delivery_request_id'))
        batch_op.drop_index('ix_supply_delivery_household_status')
        batch_op.drop_index(batch_op.f('ix_supply_delivery_batch_id'))

    op.drop_table('supply_delivery')
    with op.batch_alter_table('supply_request', schema=None) as batch_op:
        batch_op.drop_index('ix_supply_request_status_household')
        batch_op.drop_index(batch_op.f('ix_supply_request_source_key'))
        batch_op.drop_index(batch_op.f('ix_supply_request_received_on'))
        batch_op.drop_index(batch_op.f('ix_supply_request_household_id'))
        batch_op.drop_index(batch_op.f('ix_supply_request_district_id'))

    op.drop_table('supply_request')
    with op.batch_alter_table('supply_household_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_household_need_household_id'))

    op.drop_table('supply_household_need')
    with op.batch_alter_table('supply_household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_household_restricted_until'))
        batch_op.drop_index(batch_op.f('ix_supply_household_building_id'))

    op.drop_table('supply_household')
    with op.batch_alter_table('supply_stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_stock_movement_receipt_id'))
        batch_op.drop_index('ix_supply_stock_movement_depot_item_day')
        batch_op.drop_index(batch_op.f('ix_supply_stock_movement_batch_id'))

    op.drop_table('supply_stock_movement')
    with op.batch_alter_table('supply_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_batch_on_day'))
        batch_op.drop_index(batch_op.f('ix_supply_batch_depot_id'))
        batch_op.drop_index(batch_op.f('ix_supply_batch_building_id'))

    op.drop_table('supply_batch')
    with op.batch_alter_table('supply_stock_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_stock_lot_depot_id'))

    op.drop_table('supply_stock_lot')
    with op.batch_alter_table('supply_depot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_depot_district_id'))

    op.drop_table('supply_depot')
    with op.batch_alter_table('supply_stock_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_stock_receipt_received_at'))

    op.drop_table('supply_stock_receipt')

