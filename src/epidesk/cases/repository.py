"""Every query of the cases domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.cases.rules import ACTIVE, EpisodeFacts
from epidesk.db import count_at_most
from epidesk.geography.models import District
from epidesk.kit import clock
from epidesk.kit.bulk.reading import chunks
from epidesk.people import repository as people

CHUNK = 10_000


def facts_of(episode: CaseEpisode) -> EpisodeFacts:
    """The plain facts of an episode."""
    return EpisodeFacts(
        id=episode.id, district_id=episode.district_id, imported=episode.imported,
        status=episode.status, sampling_date=episode.sampling_date,
        asymptomatic_on=episode.asymptomatic_on, confirmed_on=episode.confirmed_on,
        recorded_at=clock.aware(episode.recorded_at),
        reclassified_at=episode.reclassified_at,
        withdrawn_at=episode.withdrawn_at,
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


def episode(session: Session, case_id: int) -> CaseEpisode | None:
    """An episode with its events."""
    return session.scalars(select(CaseEpisode).options(selectinload(CaseEpisode.events))
                           .where(CaseEpisode.id == case_id)).first()


def episodes(session: Session, *, community_ids: Sequence[int] | None, status: str | None,
             classification: str | None, district_id: int | None, reported_on: date | None,
             resident_id: int | None, limit: int, offset: int) -> Sequence[CaseEpisode]:
    """Episodes of residents living in the communities, newest report first."""
    stmt = _episodes(community_ids=community_ids, status=status, classification=classification,
                     district_id=district_id, reported_on=reported_on, resident_id=resident_id)
    return session.scalars(stmt.order_by(CaseEpisode.reported_on.desc(), CaseEpisode.id.desc())
                           .limit(limit).offset(offset)).all()


def count_episodes(session: Session, *, community_ids: Sequence[int] | None,
                   status: str | None, reported_on: date | None, cap: int) -> int:
    """How many episodes `episodes` would list in all, counted up to `cap + 1`."""
    stmt = _episodes(community_ids=community_ids, status=status, classification=None,
                     district_id=None, reported_on=reported_on, resident_id=None)
    return count_at_most(session, stmt.with_only_columns(CaseEpisode.id), cap)


def _episodes(*, community_ids: Sequence[int] | None, status: str | None,
              classification: str | None, district_id: int | None, reported_on: date | None,
              resident_id: int | None) -> Select[CaseEpisode]:
    stmt = select(CaseEpisode)
    if community_ids is not None:
        stmt = stmt.where(CaseEpisode.resident_id.in_(people.ids_living_in(community_ids)))
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
    return stmt


def episodes_of_day(session: Session, day: date) -> list[EpisodeFacts]:
    """Facts of every episode reported asymptomatic or confirmed on the day."""
    rows = session.scalars(select(CaseEpisode).where(
        or_(CaseEpisode.asymptomatic_on == day, CaseEpisode.confirmed_on == day)))
    return [facts_of(e) for e in rows]


def latest_report_day(session: Session, up_to: date | None = None) -> date | None:
    """The latest day a case was reported (asymptomatic or confirmed), if any; not after
    `up_to` when given."""
    days = [session.scalar(select(func.max(column)).where(
        column <= up_to if up_to is not None else column.is_not(None)))
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


# ------------------------------------------------------------------ for other domains

# (id, resident, classification, status, sampling date, onset date, isolation date)
EpisodeRow = tuple[int, int, str, str, date, date | None, date | None]

_ROW_COLUMNS = (CaseEpisode.id, CaseEpisode.resident_id, CaseEpisode.classification,
                CaseEpisode.status, CaseEpisode.sampling_date, CaseEpisode.onset_date,
                CaseEpisode.isolation_date)


def _rows(rows: Sequence[Any]) -> list[EpisodeRow]:
    return [tuple(row) for row in rows]


def episode_by_id(session: Session, case_id: int) -> CaseEpisode | None:
    """An episode by id, from the session's identity map when already loaded."""
    return session.get(CaseEpisode, case_id)


def active_episode_rows(session: Session) -> list[EpisodeRow]:
    """Every active episode as (id, resident, classification, status, sampling, onset,
    isolation), by id."""
    return _rows(session.execute(select(*_ROW_COLUMNS).where(CaseEpisode.status == "active")
                                 .order_by(CaseEpisode.id)).all())


def episode_rows(session: Session, ids: Sequence[int]) -> list[EpisodeRow]:
    """The episodes with these ids as rows (see active_episode_rows)."""
    out: list[EpisodeRow] = []
    for chunk in chunks(ids):
        out += _rows(session.execute(select(*_ROW_COLUMNS)
                                     .where(CaseEpisode.id.in_(chunk))).all())
    return out


def latest_event_id(session: Session) -> int:
    """The id of the newest case event (0 when there is none)."""
    return int(session.scalar(select(func.max(CaseEvent.id))) or 0)


def episodes_changed(session: Session, *, after: int, up_to: int) -> list[int]:
    """The episodes with an event (reported, linked, reclassified, withdrawn) in (after, up_to]."""
    return list(session.scalars(
        select(CaseEvent.episode_id).where(CaseEvent.id > after, CaseEvent.id <= up_to)
        .distinct().order_by(CaseEvent.episode_id)))


def first_active_sampling(session: Session, resident_ids: Sequence[int]) -> dict[int, date]:
    """The earliest sampling date of an active episode of each resident that has one."""
    out: dict[int, date] = {}
    for chunk in chunks(resident_ids):
        for r, d in session.execute(select(CaseEpisode.resident_id,
                                           func.min(CaseEpisode.sampling_date))
                                    .where(CaseEpisode.status == "active",
                                           CaseEpisode.resident_id.in_(chunk))
                                    .group_by(CaseEpisode.resident_id)):
            out[int(r)] = d
    return out


def active_case_sampled_by(resident_id: Any, day: Any) -> ColumnElement[bool]:
    """A condition for other repositories: the resident has an active episode sampled on
    or before the day (columns or values of the enclosing query)."""
    return (select(CaseEpisode.id).where(CaseEpisode.resident_id == resident_id,
                                         CaseEpisode.status == "active",
                                         CaseEpisode.sampling_date <= day)
            .exists())


def ids_reported_in(community_ids: Sequence[int]) -> Select[int]:
    """A subquery of the ids of episodes reported in the communities, for other repositories."""
    return select(CaseEpisode.id).where(
        CaseEpisode.community_id.in_(sorted(set(community_ids))))


def episodes_between(session: Session, *, first: date, last: date,
                     community_ids: Sequence[int] | None) -> list[tuple[date, date, str, int]]:
    """(reported on, sampled on, classification, community) of the active cases reported
    or sampled between two days, inside the communities (None: everywhere)."""
    stmt = select(CaseEpisode.reported_on, CaseEpisode.sampling_date,
                  CaseEpisode.classification, CaseEpisode.community_id).where(
        CaseEpisode.status == "active",
        or_(CaseEpisode.reported_on.between(first, last),
            CaseEpisode.sampling_date.between(first, last)))
    if community_ids is not None:
        stmt = stmt.where(CaseEpisode.community_id.in_(sorted(set(community_ids))))
    return [(r, s, str(c), int(m)) for r, s, c, m in session.execute(stmt).all()]


def episodes_of_tubes(session: Session, tube_ids: Sequence[int]
                      ) -> list[tuple[int, CaseEpisode]]:
    """(tube, episode) for every episode a tube proved or was linked to (a re-positive)."""
    found: set[tuple[int | None, int]] = set()
    for chunk in chunks(tube_ids):
        for query in (select(CaseEpisode.proving_tube_id, CaseEpisode.id)
                      .where(CaseEpisode.proving_tube_id.in_(chunk)),
                      select(CaseEvent.tube_id, CaseEvent.episode_id)
                      .where(CaseEvent.tube_id.in_(chunk))):
            found.update((t, e) for t, e in session.execute(query))
    episodes = {e.id: e for e in session.scalars(select(CaseEpisode).where(
        CaseEpisode.id.in_(sorted({e for _, e in found}))))} if found else {}
    return [(t, episodes[e]) for t, e in sorted((t, e) for t, e in found if t is not None)]


def active_episode_ids(session: Session, resident_ids: Sequence[int]) -> list[int]:
    """The active episodes of the residents."""
    return list(session.scalars(select(CaseEpisode.id).where(
        CaseEpisode.resident_id.in_(sorted(set(resident_ids))),
        CaseEpisode.status == ACTIVE)))


# ------------------------------------------------------------------ public figures

def public_counts(session: Session, *, up_to: date
                  ) -> tuple[list[tuple[date, int, int]], list[tuple[date, int]],
                             list[tuple[date, int]]]:
    """Active cases reported up to a day: (report day, district, n), (sampling day, n)
    and (day confirmed, n)."""
    active = (CaseEpisode.status == ACTIVE, CaseEpisode.reported_on <= up_to)
    reported = [(d, int(i), int(n)) for d, i, n in session.execute(
        select(CaseEpisode.reported_on, CaseEpisode.district_id, func.count())
        .where(*active).group_by(CaseEpisode.reported_on, CaseEpisode.district_id))]
    sampled = [(d, int(n)) for d, n in session.execute(
        select(CaseEpisode.sampling_date, func.count()).where(*active)
        .group_by(CaseEpisode.sampling_date))]
    confirmed = [(d, int(n)) for d, n in session.execute(
        select(CaseEpisode.confirmed_on, func.count())
        .where(*active, CaseEpisode.confirmed_on.is_not(None),
               CaseEpisode.confirmed_on <= up_to)
        .group_by(CaseEpisode.confirmed_on)) if d is not None]
    return reported, sampled, confirmed


def events_between(session: Session, *, since: datetime, until: datetime
                   ) -> list[tuple[str, date, date, date | None, datetime]]:
    """(kind, report day, sampling day, day confirmed, when) of every case event in
    (since, until]."""
    return [(str(k), r, s, c, at) for k, r, s, c, at in session.execute(
        select(CaseEvent.kind, CaseEpisode.reported_on, CaseEpisode.sampling_date,
               CaseEpisode.confirmed_on, CaseEvent.at)
        .join(CaseEpisode, CaseEpisode.id == CaseEvent.episode_id)
        .where(CaseEvent.at > since, CaseEvent.at <= until))]
