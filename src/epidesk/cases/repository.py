"""Every query of the cases domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.cases.rules import EpisodeFacts
from epidesk.geography.models import Community, District, Subdistrict
from epidesk.kit import clock
from epidesk.people.models import Resident

CHUNK = 10_000


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else clock.aware(moment)


def facts_of(episode: CaseEpisode) -> EpisodeFacts:
    """The plain facts of an episode."""
    return EpisodeFacts(
        id=episode.id, district_id=episode.district_id, imported=episode.imported,
        status=episode.status, sampling_date=episode.sampling_date,
        asymptomatic_on=episode.asymptomatic_on, confirmed_on=episode.confirmed_on,
        recorded_at=clock.aware(episode.recorded_at),
        reclassified_at=_aware(episode.reclassified_at),
        withdrawn_at=_aware(episode.withdrawn_at),
    )


def episodes_of_residents(session: Session, resident_ids: Sequence[int]
                          ) -> dict[int, list[CaseEpisode]]:
    """Every episode of the given residents, by resident."""
    out: dict[int, list[CaseEpisode]] = {}
    ids = sorted(set(resident_ids))
    for start in range(0, len(ids), CHUNK):
        for episode in session.scalars(
            select(CaseEpisode).where(CaseEpisode.resident_id.in_(ids[start: start + CHUNK]))
            .order_by(CaseEpisode.sampling_date, CaseEpisode.id)
        ):
            out.setdefault(episode.resident_id, []).append(episode)
    return out


def resident_places(session: Session, resident_ids: Sequence[int]
                    ) -> dict[int, tuple[int, int]]:
    """(district id, community id) of each given resident."""
    out: dict[int, tuple[int, int]] = {}
    ids = sorted(set(resident_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Resident.id, Subdistrict.district_id, Resident.community_id)
            .join(Community, Community.id == Resident.community_id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(Resident.id.in_(ids[start: start + CHUNK]))
        ).all()
        out.update({r: (d, c) for r, d, c in rows})
    return out


def episode(session: Session, case_id: int) -> CaseEpisode | None:
    """An episode with its events."""
    return session.scalars(select(CaseEpisode).options(selectinload(CaseEpisode.events))
                           .where(CaseEpisode.id == case_id)).first()


def episodes(session: Session, *, community_ids: Sequence[int] | None, status: str | None,
             classification: str | None, district_id: int | None, reported_on: date | None,
             resident_id: int | None, limit: int, offset: int
             ) -> list[tuple[CaseEpisode, Resident]]:
    """Episodes with their residents, newest report first."""
    stmt = select(CaseEpisode, Resident).join(Resident, Resident.id == CaseEpisode.resident_id)
    if community_ids is not None:
        stmt = stmt.where(Resident.community_id.in_(sorted(set(community_ids))))
    if status:
        stmt = stmt.where(CaseEpisode.status == status)
    if classification:
        stmt = stmt.where(CaseEpisode.classification == classification)
    if district_id is not None:
        stmt = stmt.where(CaseEpisode.district_id == district_id)
    if reported_on is not None:
        stmt = stmt.where(CaseEpisode.reported_on == reported_on)
    if resident_id is not None:
        stmt = stmt.where(CaseEpisode.resident_id == resident_id)
    rows = session.execute(stmt.order_by(CaseEpisode.reported_on.desc(), CaseEpisode.id.desc())
                           .limit(limit).offset(offset)).all()
    return [(e, r) for e, r in rows]


def episodes_of_day(session: Session, day: date) -> list[EpisodeFacts]:
    """Facts of every episode reported asymptomatic or confirmed on the day."""
    rows = session.scalars(select(CaseEpisode).where(
        or_(CaseEpisode.asymptomatic_on == day, CaseEpisode.confirmed_on == day)))
    return [facts_of(e) for e in rows]


def latest_report_day(session: Session) -> date | None:
    """The latest day a case was reported (asymptomatic or confirmed), if any."""
    days = [session.scalar(select(func.max(column)))
            for column in (CaseEpisode.asymptomatic_on, CaseEpisode.confirmed_on)]
    known = [d for d in days if d is not None]
    return max(known) if known else None


def districts(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, code, name, local name) of every district, by code."""
    return [(i, c, n, nl) for i, c, n, nl in session.execute(
        select(District.id, District.code, District.name, District.name_local)
        .order_by(District.code))]


def events_since(session: Session, since: datetime, limit: int) -> Sequence[CaseEvent]:
    """Episode events at or after a moment, oldest first."""
    return session.scalars(select(CaseEvent).where(CaseEvent.at >= since)
                           .order_by(CaseEvent.at, CaseEvent.id).limit(limit)).all()


def resident_episodes(session: Session, resident_id: int) -> Sequence[CaseEpisode]:
    """A resident's episodes, newest first."""
    return session.scalars(select(CaseEpisode).where(CaseEpisode.resident_id == resident_id)
                           .order_by(CaseEpisode.sampling_date.desc(), CaseEpisode.id.desc())
                           ).all()


def count(session: Session) -> int:
    """How many episodes exist."""
    return session.scalar(select(func.count()).select_from(CaseEpisode)) or 0
