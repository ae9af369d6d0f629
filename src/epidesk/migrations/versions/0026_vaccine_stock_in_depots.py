"""vaccine stock in the depots

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 17:30:00.000000

A vaccination site's stock is held by a depot of the supplies domain (kind
"vaccination_site", the site's code): every site is linked to its depot, the rows of
vaccination's own stock table are carried into the depots' movement log and lots (item
"vaccine:<product>"), and that table goes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from epidesk.db import UtcDateTime
from epidesk.kit import clock

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Old movement kinds -> the depots' kinds.
KINDS = {"receipt": "receipt", "use": "issue", "transfer_out": "transfer",
         "transfer_in": "transfer", "adjustment": "adjustment"}

site = sa.table('vaccination_site', sa.column('id', sa.Integer), sa.column('code', sa.String),
                sa.column('name', sa.String), sa.column('district_id', sa.Integer),
                sa.column('depot_id', sa.Integer))
depot = sa.table('supply_depot', sa.column('id', sa.Integer), sa.column('code', sa.String),
                 sa.column('name', sa.String), sa.column('district_id', sa.Integer),
                 sa.column('kind', sa.String))
old = sa.table('vaccination_stock_movement', sa.column('id', sa.Integer),
               sa.column('site_id', sa.Integer), sa.column('product', sa.String),
               sa.column('lot', sa.String), sa.column('expiry', sa.Date),
               sa.column('kind', sa.String), sa.column('quantity', sa.Integer),
               sa.column('reason', sa.String), sa.column('other_site_id', sa.Integer),
               sa.column('at', UtcDateTime()), sa.column('recorded_by', sa.String))
lot = sa.table('supply_stock_lot', sa.column('id', sa.Integer), sa.column('depot_id', sa.Integer),
               sa.column('item', sa.String), sa.column('lot', sa.String),
               sa.column('expires_on', sa.Date), sa.column('on_hand', sa.Integer))
movement = sa.table('supply_stock_movement', sa.column('depot_id', sa.Integer),
                    sa.column('item', sa.String), sa.column('lot', sa.String),
                    sa.column('kind', sa.String), sa.column('quantity', sa.Integer),
                    sa.column('reason', sa.Text), sa.column('at', UtcDateTime()),
                    sa.column('on_day', sa.Date), sa.column('actor', sa.String))


def _link_sites(conn: sa.Connection) -> dict[int, int]:
    """Every site linked to the depot with its code (made when missing); site -> depot."""
    codes = {c: i for i, c in conn.execute(sa.select(depot.c.id, depot.c.code))}
    linked = {}
    for site_id, code, name, district_id in conn.execute(
            sa.select(site.c.id, site.c.code, site.c.name, site.c.district_id)).all():
        if code not in codes:
            conn.execute(sa.insert(depot).values(code=code, name=name, district_id=district_id,
                                                 kind='vaccination_site'))
            codes[code] = conn.execute(sa.select(depot.c.id).where(depot.c.code == code)
                                       ).scalar_one()
        conn.execute(sa.update(site).where(site.c.id == site_id)
                     .values(depot_id=codes[code]))
        linked[site_id] = codes[code]
    return linked


def _carry_movements(conn: sa.Connection, depot_of: dict[int, int]) -> None:
    """The old movements appended to the depots' log, and the lots they leave."""
    held: dict[tuple[int, str, str], int] = defaultdict(int)
    expiry: dict[tuple[int, str, str], date] = {}
    rows = []
    for r in conn.execute(sa.select(old).order_by(old.c.at, old.c.id)).all():
        key = (depot_of[r.site_id], f"vaccine:{r.product}", r.lot)
        held[key] += r.quantity
        expiry.setdefault(key, r.expiry)
        reason = r.reason or ("vaccination dose" if r.kind == "use" else
                              "transfer" if r.kind.startswith("transfer") else "")
        rows.append({"depot_id": key[0], "item": key[1], "lot": key[2],
                     "kind": KINDS.get(r.kind, "adjustment"), "quantity": r.quantity,
                     "reason": reason, "at": r.at, "on_day": clock.local_day(r.at),
                     "actor": r.recorded_by})
    for start in range(0, len(rows), 5_000):
        conn.execute(sa.insert(movement), rows[start:start + 5_000])
    for (depot_id, item, code), on_hand in held.items():
        conn.execute(sa.insert(lot).values(depot_id=depot_id, item=item, lot=code,
                                           expires_on=expiry[(depot_id, item, code)],
                                           on_hand=max(on_hand, 0)))


def upgrade() -> None:
    with op.batch_alter_table('supply_depot', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=24),
                              type_=sa.String(length=32), existing_nullable=False)
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='supplies',
                                      nullable=False))
    with op.batch_alter_table('vaccination_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('depot_id', sa.Integer(), nullable=True))
    conn = op.get_bind()
    _carry_movements(conn, _link_sites(conn))
    with op.batch_alter_table('vaccination_site', schema=None) as batch_op:
        batch_op.alter_column('depot_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_vaccination_site_depot_id_supply_depot'),
                                    'supply_depot', ['depot_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_vaccination_site_depot_id'),
                                          ['depot_id'])
    op.drop_index('ix_vaccination_stock_site_lot', table_name='vaccination_stock_movement')
    op.drop_table('vaccination_stock_movement')


def downgrade() -> None:
    op.create_table('vaccination_stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=32), nullable=False),
    sa.Column('lot', sa.String(length=32), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('other_site_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['other_site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_stock_movement_other_site_id_vaccination_site')),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_stock_movement_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_stock_movement'))
    )
    op.create_index('ix_vaccination_stock_site_lot', 'vaccination_stock_movement', ['site_id', 'product', 'lot'], unique=False)
    conn = op.get_bind()
    # What each site's depot holds of each vaccine lot goes back as one receipt.
    rows = conn.execute(
        sa.select(site.c.id, lot.c.item, lot.c.lot, lot.c.expires_on, lot.c.on_hand)
        .join(lot, lot.c.depot_id == site.c.depot_id)
        .where(lot.c.item.startswith('vaccine:'), lot.c.on_hand > 0)).all()
    now = clock.now()
    for site_id, item, code, expires_on, on_hand in rows:
        conn.execute(sa.insert(old).values(
            site_id=site_id, product=item.removeprefix('vaccine:'), lot=code[:32],
            expiry=expires_on or date.max, kind='receipt', quantity=on_hand, reason='',
            at=now, recorded_by='migration'))
    with op.batch_alter_table('vaccination_site', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_vaccination_site_depot_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_vaccination_site_depot_id_supply_depot'),
                                 type_='foreignkey')
        batch_op.drop_column('depot_id')
    with op.batch_alter_table('supply_depot', schema=None) as batch_op:
        batch_op.drop_column('kind')
        batch_op.alter_column('code', existing_type=sa.String(length=32),
                              type_=sa.String(length=24), existing_nullable=False)
