"""Every query of transfer manifests and their lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import TransferLine, TransferManifest


def add(session: Session, manifest: TransferManifest) -> TransferManifest:
    """Store a manifest with its lines."""
    session.add(manifest)
    session.flush()
    return manifest


def manifest(session: Session, manifest_id: int) -> TransferManifest | None:
    """A manifest with its lines."""
    return session.scalars(select(TransferManifest).where(TransferManifest.id == manifest_id)
                           .options(selectinload(TransferManifest.lines))).first()


def manifests(session: Session, *, limit: int = 50) -> Sequence[TransferManifest]:
    """Manifests, latest departure first, with their lines."""
    return session.scalars(select(TransferManifest).options(
        selectinload(TransferManifest.lines))
        .order_by(TransferManifest.departs_at.desc(), TransferManifest.id.desc())
        .limit(limit)).all()


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
