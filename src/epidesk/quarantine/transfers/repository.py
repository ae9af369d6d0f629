"""Every query of transfer manifests and their lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from epidesk.geography.models import Address, Building, Unit
from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import (
    RoomAssignment,
    TransferLine,
    TransferManifest,
    TransferManifestChange,
)


def add(session: Session, manifest: TransferManifest) -> TransferManifest:
    """Store a manifest with its lines."""
    session.add(manifest)
    session.flush()
    return manifest


def manifest(session: Session, manifest_id: int) -> TransferManifest | None:
    """A manifest with its lines."""
    return session.scalars(select(TransferManifest).where(TransferManifest.id == manifest_id)
                           .options(selectinload(TransferManifest.lines))).first()


def manifests(session: Session, *, limit: int = 50, without_driver_before: datetime | None = None
              ) -> Sequence[TransferManifest]:
    """Manifests, latest departure first, with their lines; only those flagged for lacking
    a driver (`_without_driver`) when a moment is given."""
    stmt = select(TransferManifest)
    if without_driver_before is not None:
        stmt = stmt.where(_without_driver(without_driver_before))
    return session.scalars(stmt.options(selectinload(TransferManifest.lines))
                           .order_by(TransferManifest.departs_at.desc(),
                                     TransferManifest.id.desc()).limit(limit)).all()


def _without_driver(before: datetime) -> ColumnElement[bool]:
    """Not yet left, someone on it still expected, no driver's name or phone, and a
    return home or departing before the moment."""
    waiting = select(TransferLine.id).where(TransferLine.manifest_id == TransferManifest.id,
                                            TransferLine.checked_in_at.is_(None),
                                            TransferLine.resolved_at.is_(None)).exists()
    return and_(TransferManifest.departed_at.is_(None), waiting,
                or_(TransferManifest.driver_name == "", TransferManifest.driver_phone == ""),
                or_(TransferManifest.purpose == "return_home",
                    TransferManifest.departs_at <= before))


def count_without_driver(session: Session, *, before: datetime) -> int:
    """How many manifests `_without_driver` flags."""
    return int(session.scalar(select(func.count(TransferManifest.id))
                              .where(_without_driver(before))) or 0)


def add_changes(session: Session, changes: Sequence[TransferManifestChange]) -> None:
    """Store changes of a manifest's dispatch details."""
    session.add_all(changes)
    session.flush()


def changes_of(session: Session, manifest_id: int) -> Sequence[TransferManifestChange]:
    """A manifest's dispatch changes, oldest first."""
    return session.scalars(select(TransferManifestChange).where(
        TransferManifestChange.manifest_id == manifest_id)
        .order_by(TransferManifestChange.id)).all()


def line(session: Session, line_id: int) -> TransferLine | None:
    """One line with its manifest."""
    return session.scalars(select(TransferLine).where(TransferLine.id == line_id)
                           .options(selectinload(TransferLine.manifest))).first()


def open_alerts(session: Session, *, due_before: datetime) -> Sequence[TransferLine]:
    """Lines not checked in nor resolved whose vehicle was due before the moment."""
    return session.scalars(
        select(TransferLine).join(TransferManifest,
                                  TransferManifest.id == TransferLine.manifest_id)
        .where(TransferLine.checked_in_at.is_(None), TransferLine.resolved_at.is_(None),
               TransferManifest.expected_at <= due_before)
        .options(selectinload(TransferLine.manifest))
        .order_by(TransferManifest.expected_at, TransferLine.id)).all()


def counts(session: Session, *, due_before: datetime) -> tuple[int, int, int]:
    """(dispatched: checked out, arrived: checked in, missing: open alerts)."""
    dispatched = session.scalar(select(func.count(TransferLine.id)).where(
        TransferLine.checked_out_at.is_not(None))) or 0
    arrived = session.scalar(select(func.count(TransferLine.id)).where(
        TransferLine.checked_in_at.is_not(None))) or 0
    missing = session.scalar(
        select(func.count(TransferLine.id)).join(
            TransferManifest, TransferManifest.id == TransferLine.manifest_id)
        .where(TransferLine.checked_in_at.is_(None), TransferLine.resolved_at.is_(None),
               TransferManifest.expected_at <= due_before)) or 0
    return int(dispatched), int(arrived), int(missing)


def lines_of_resident(session: Session, resident_id: int, *, limit: int = 5
                      ) -> Sequence[TransferLine]:
    """A resident's latest transfer lines, with their manifests."""
    return session.scalars(select(TransferLine).where(TransferLine.resident_id == resident_id)
                           .options(selectinload(TransferLine.manifest))
                           .order_by(TransferLine.id.desc()).limit(limit)).all()


def merge_rows(session: Session, merge: Merge) -> int:
    """Move the merged record's transfer lines to the survivor."""
    return repoint(session, TransferLine, "resident_id", merge)


def building_of_address(session: Session, address_id: int) -> Building | None:
    """The building a flat lies in."""
    return session.scalars(select(Building).join(Unit, Unit.building_id == Building.id)
                           .join(Address, Address.unit_id == Unit.id)
                           .where(Address.id == address_id)).first()


def open_return(session: Session, *, facility_id: int, building_id: int, after: datetime
                ) -> TransferManifest | None:
    """A return home from the facility to the building not yet left (departing after the
    moment, nobody checked out yet), with its lines; the latest planned first."""
    boarded = select(TransferLine.id).where(TransferLine.manifest_id == TransferManifest.id,
                                            TransferLine.checked_out_at.is_not(None))
    return session.scalars(
        select(TransferManifest).where(
            TransferManifest.purpose == "return_home",
            TransferManifest.facility_id == facility_id,
            TransferManifest.building_id == building_id,
            TransferManifest.departs_at > after, ~boarded.exists())
        .options(selectinload(TransferManifest.lines))
        .order_by(TransferManifest.departs_at.desc(), TransferManifest.id.desc())).first()


def open_carers(session: Session, room_id: int) -> Sequence[RoomAssignment]:
    """Carers without an order still in a room."""
    return session.scalars(select(RoomAssignment).where(
        RoomAssignment.room_id == room_id, RoomAssignment.to_at.is_(None),
        RoomAssignment.order_id.is_(None))).all()


def open_ordered_in_room(session: Session, room_id: int) -> Sequence[RoomAssignment]:
    """People under an order still in a room."""
    return session.scalars(select(RoomAssignment).where(
        RoomAssignment.room_id == room_id, RoomAssignment.to_at.is_(None),
        RoomAssignment.order_id.is_not(None))).all()


def return_counts(session: Session, *, due_before: datetime) -> tuple[int, int, int]:
    """Returns home: (on the way or planned, arrived home, missing)."""
    pending = session.scalar(
        select(func.count(TransferLine.id)).join(
            TransferManifest, TransferManifest.id == TransferLine.manifest_id)
        .where(TransferManifest.purpose == "return_home",
               TransferLine.checked_in_at.is_(None), TransferLine.resolved_at.is_(None),
               TransferManifest.expected_at > due_before)) or 0
    home = session.scalar(
        select(func.count(TransferLine.id)).join(
            TransferManifest, TransferManifest.id == TransferLine.manifest_id)
        .where(TransferManifest.purpose == "return_home",
               TransferLine.checked_in_at.is_not(None))) or 0
    missing = session.scalar(
        select(func.count(TransferLine.id)).join(
            TransferManifest, TransferManifest.id == TransferLine.manifest_id)
        .where(TransferManifest.purpose == "return_home",
               TransferLine.checked_in_at.is_(None), TransferLine.resolved_at.is_(None),
               TransferManifest.expected_at <= due_before)) or 0
    return int(pending), int(home), int(missing)
