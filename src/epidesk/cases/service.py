"""Use cases of the cases domain: register cases from results, reclassify, withdraw, bulletin.

The case registry follows the testing domain's positive results (kit.events); ingesting
a lab batch and registering its cases in one transaction is offered here too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy.orm import Session

from epidesk.cases import repository, rules
from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock, events
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.imports import Progress, stepper
from epidesk.kit.merges import Merge, repoint
from epidesk.kit.paging import COUNT_CAP, PageCount, page_count
from epidesk.kit.paging import MAX_LIST as MAX_LIST
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.testing import service as testing
from epidesk.testing.ingest import service as ingest
from epidesk.testing.ingest.service import IngestResult
from epidesk.testing.models import PositiveResult

# ------------------------------------------------------------------ from results to cases


def follow_testing(session: Session, *, actor: str, now: datetime | None = None,
                   preset: Preset | None = None) -> dict[str, int]:
    """Register the cases proved by the positive results ingested since the last pull.

    Each lab batch's positives are taken together, as the batch was written; the counts
    are recorded on the batch and returned summed.
    """
    cursor = events.cursor_name("cases", "testing")
    found = testing.positive_results_after(session, position=events.position(session, cursor))
    totals = {"cases_created": 0, "repositives_linked": 0}
    if not found:
        return totals
    moment = (now or clock.now()).astimezone(UTC)
    chosen = preset or active_preset()
    by_batch: dict[int, list[PositiveResult]] = {}
    for result in found:
        by_batch.setdefault(result.batch_id, []).append(result)
    for batch_id, positives in by_batch.items():
        counts = _register(session, positives, batch_id=batch_id, actor=actor, now=moment,
                           preset=chosen)
        testing.add_case_counts(session, batch_id=batch_id, counts=counts)
        for name, value in counts.items():
            totals[name] += value
    events.advance(session, cursor, found[-1].id)
    return totals


def _register(session: Session, results: Sequence[PositiveResult], *, batch_id: int,
              actor: str, now: datetime, preset: Preset) -> dict[str, int]:
    """Open an episode for each new infection among one batch's positive single tubes.

    A positive within the preset's re-positive window of an active episode is linked to
    that episode instead. Dates are the city's days; a member of a positive pool counts
    from its swab in that pool.
    """
    zone = clock.city_zone()
    pooled = testing.pooled_swabs(session, tube_ids=[r.tube_id for r in results])
    positives = sorted((_Positive.of(r, pooled.get((r.tube_id, r.resident_id)), zone)
                        for r in results), key=lambda p: (p.collected_at, p.tube_id))
    resident_ids = [p.resident_id for p in positives]
    known = repository.episodes_of_residents(session, resident_ids)
    places = people.resident_places(session, resident_ids)
    window = preset.cases.repositive_window.days
    allowed = {name: tuple(d.reclassify_to) for name, d in preset.cases.definitions.items()}
    created = linked = 0
    for positive in positives:
        episodes = known.setdefault(positive.resident_id, [])
        by_id = {e.id: e for e in episodes}
        target = rules.episode_to_link([repository.facts_of(e) for e in episodes],
                                       positive.sampling_date, window)
        if target is not None:
            _link(session, by_id[target], positive, batch_id, actor, now, allowed)
            linked += 1
            continue
        district_id, community_id = places[positive.resident_id]
        episodes.append(_open(session, positive, batch_id, actor, now, district_id,
                              community_id))
        created += 1
    session.flush()
    return {"cases_created": created, "repositives_linked": linked}


@dataclass(frozen=True)
class _Positive:
    """A positive result: its moments in UTC and its days in the city's zone."""

    resident_id: int
    tube_id: int
    sample_code: str
    collected_at: datetime
    result_at: datetime
    onset_date: date | None
    imported: bool
    isolated_at: datetime | None
    sampling_date: date
    result_date: date
    isolation_date: date

    @classmethod
    def of(cls, event: PositiveResult, pooled_at: datetime | None, zone: tzinfo
           ) -> _Positive:
        collected = clock.aware(event.collected_at)
        if pooled_at is not None and pooled_at < collected:
            # The pool's swab proved the infection; the single tube only confirmed it.
            collected = pooled_at
        result = clock.aware(event.result_at)
        isolated = None if event.isolated_at is None else clock.aware(event.isolated_at)
        return cls(resident_id=event.resident_id, tube_id=event.tube_id,
                   sample_code=event.sample_code, collected_at=collected, result_at=result,
                   onset_date=event.onset_date, imported=event.imported, isolated_at=isolated,
                   sampling_date=clock.local_day(collected, zone),
                   result_date=clock.local_day(result, zone),
                   isolation_date=rules.isolation_date(result, isolated, zone))


def _open(session: Session, positive: _Positive, batch_id: int, actor: str, now: datetime,
          district_id: int, community_id: int) -> CaseEpisode:
    classification = rules.classification_at_report(positive.onset_date)
    reported_on = positive.result_date
    episode = CaseEpisode(
        resident_id=positive.resident_id,
        classification=classification,
        status=rules.ACTIVE,
        sampling_date=positive.sampling_date,
        onset_date=positive.onset_date,
        isolation_date=positive.isolation_date,
        reported_on=reported_on,
        diagnosed_at=positive.result_at.astimezone(UTC),
        recorded_at=now,
        asymptomatic_on=reported_on if classification == rules.ASYMPTOMATIC else None,
        confirmed_on=reported_on if classification == rules.CONFIRMED else None,
        reclassified_at=None,
        proving_tube_id=positive.tube_id,
        batch_id=batch_id,
        district_id=district_id,
        community_id=community_id,
        imported=positive.imported,
    )
    session.add(episode)
    episode.events.append(CaseEvent(at=now, kind=rules.REPORTED,
                          tube_id=positive.tube_id, actor=actor[:64],
                          note=f"{classification}; sample {positive.sample_code} in lab "
                               f"batch {batch_id}"))
    return episode


def _link(session: Session, episode: CaseEpisode, positive: _Positive, batch_id: int,
          actor: str, now: datetime, allowed: Mapping[str, Sequence[str]]) -> None:
    sampling = positive.sampling_date
    note = f"sample {positive.sample_code} in lab batch {batch_id}"
    if sampling < episode.sampling_date:
        note += f"; first positive sample moved from {episode.sampling_date} to {sampling}"
        episode.sampling_date = sampling
    episode.events.append(CaseEvent(at=now, kind=rules.REPOSITIVE,
                          tube_id=positive.tube_id, actor=actor[:64], note=note))
    if positive.onset_date is not None and rules.reclassification_problem(
            episode.classification, episode.status, rules.CONFIRMED, allowed) is None:
        _reclassify(session, episode, onset_date=positive.onset_date,
                    on=positive.result_date, actor=actor, now=now,
                    note=f"symptoms recorded with {note}")


def ingest_results(session: Session, *, content: bytes, filename: str, received_by: str,
                   preset: Preset | None = None, now: datetime | None = None,
                   progress: Progress | None = None, deferred: bool = False) -> IngestResult:
    """Ingest a lab batch and register the cases it proves, in one transaction.

    deferred: the domains that may follow testing after the commit (zoning's tallies and
    zones) do so once the caller commits, in a transaction of their own (kit.events).
    """
    result = ingest.ingest_batch(session, content=content, filename=filename,
                                 received_by=received_by, preset=preset, now=now,
                                 progress=progress)
    return _followed(session, result, received_by, preset, progress, deferred)


def ingest_results_file(session: Session, *, path: str | Path, received_by: str,
                        preset: Preset | None = None, now: datetime | None = None,
                        progress: Progress | None = None,
                        deferred: bool = False) -> IngestResult:
    """Ingest a lab batch file (CSV or Parquet) and register the cases it proves (see
    ingest_results)."""
    result = ingest.ingest_file(session, path=path, received_by=received_by, preset=preset,
                                now=now, progress=progress)
    return _followed(session, result, received_by, preset, progress, deferred)


def _followed(session: Session, result: IngestResult, actor: str, preset: Preset | None,
              progress: Progress | None, deferred: bool) -> IngestResult:
    """The ingest's result, once the domains that follow testing have taken its positives."""
    if result.accepted:
        events.follow(session, "testing", deferred=deferred, actor=actor, preset=preset,
                      now=None if result.already_ingested else result.batch.received_at)
        stepper(progress)("cases")
    return result


# ------------------------------------------------------------------ changing a case


def _reclassify(session: Session, episode: CaseEpisode, *, onset_date: date | None, on: date,
                actor: str, now: datetime, note: str | None) -> None:
    before = episode.classification
    episode.classification = rules.CONFIRMED
    episode.confirmed_on = on
    episode.reclassified_at = now
    if onset_date is not None:
        episode.onset_date = onset_date
    episode.events.append(CaseEvent(at=now, kind=rules.RECLASSIFIED, tube_id=None,
                          actor=actor[:64],
                          note=f"{before} -> confirmed on {on}" + (f"; {note}" if note else "")))


def reclassify(session: Session, *, case_id: int, actor: str, on: date | None = None,
               onset_date: date | None = None, note: str | None = None,
               preset: Preset | None = None, now: datetime | None = None) -> CaseEpisode:
    """Reclassify an asymptomatic infection as a confirmed case; both dates are kept."""
    episode = get_episode(session, case_id=case_id)
    preset = preset or active_preset()
    allowed = {name: tuple(d.reclassify_to) for name, d in preset.cases.definitions.items()}
    problem = rules.reclassification_problem(episode.classification, episode.status,
                                             rules.CONFIRMED, allowed)
    if problem:
        raise ConflictError(problem)
    moment = (now or clock.now()).astimezone(UTC)
    day = on or clock.city_today(moment)
    if episode.asymptomatic_on is not None and day < episode.asymptomatic_on:
        raise ValidationFailedError(
            f"the reclassification date {day} is before the report as asymptomatic on "
            f"{episode.asymptomatic_on}")
    if onset_date is not None and onset_date > day:
        raise ValidationFailedError(f"symptom onset {onset_date} is after {day}")
    _reclassify(session, episode, onset_date=onset_date, on=day, actor=actor, now=moment,
                note=note)
    session.flush()
    return episode


def withdraw(session: Session, *, case_id: int, reason: str, actor: str,
             now: datetime | None = None) -> CaseEpisode:
    """Withdraw a case (e.g. a false positive); it stays on record with the reason."""
    episode = get_episode(session, case_id=case_id)
    problem = rules.withdrawal_problem(episode.status, reason)
    if problem:
        raise (ConflictError if episode.status == rules.WITHDRAWN
               else ValidationFailedError)(problem)
    moment = (now or clock.now()).astimezone(UTC)
    episode.status = rules.WITHDRAWN
    episode.withdrawn_at = moment
    episode.withdrawn_by = actor[:64]
    episode.withdrawal_reason = reason.strip()
    episode.events.append(CaseEvent(at=moment, kind=rules.WITHDRAWAL, tube_id=None,
                          actor=actor[:64], note=reason.strip()))
    session.flush()
    return episode


# ------------------------------------------------------------------ reading


def get_episode(session: Session, *, case_id: int) -> CaseEpisode:
    """An episode with its events, or NotFoundError."""
    found = repository.episode(session, case_id)
    if found is None:
        raise NotFoundError(f"no case {case_id}")
    return found


@dataclass(frozen=True)
class CaseRecord:
    """A case with its resident and where the resident lives."""

    episode: CaseEpisode
    resident: Resident
    area: AreaPath


def case_record(session: Session, *, case_id: int) -> CaseRecord:
    """A case, its resident and their area (check the caller's area before showing it)."""
    episode = get_episode(session, case_id=case_id)
    found = testing.resident_record(session, resident_id=episode.resident_id)
    if found is None:
        raise NotFoundError(f"no case {case_id}")
    return CaseRecord(episode=episode, resident=found[0], area=found[1])


def list_cases(session: Session, *, area: AreaFilter | None = None, status: str | None = None,
               classification: str | None = None, district_id: int | None = None,
               reported_on: date | None = None, resident_id: int | None = None,
               limit: int = 100, offset: int = 0) -> list[tuple[CaseEpisode, Resident]]:
    """Cases of residents inside the area, newest report first."""
    if status is not None and status not in rules.STATUSES:
        raise ValidationFailedError(f"status must be one of {', '.join(rules.STATUSES)}")
    if classification is not None and classification not in rules.CLASSIFICATIONS:
        raise ValidationFailedError(
            f"classification must be one of {', '.join(rules.CLASSIFICATIONS)}")
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    communities = testing.communities_of(session, area)
    if communities == []:
        return []
    found = repository.episodes(session, community_ids=communities, status=status,
                                classification=classification, district_id=district_id,
                                reported_on=reported_on, resident_id=resident_id,
                                limit=limit, offset=offset)
    residents = people.residents_by_id(session, [e.resident_id for e in found])
    return [(e, residents[e.resident_id]) for e in found]


def count_cases(session: Session, *, area: AreaFilter | None = None,
                status: str | None = None, reported_on: date | None = None, offset: int = 0,
                shown: int = 0) -> PageCount:
    """Where a page of `list_cases` (with the same filters) lies among all such cases."""
    communities = testing.communities_of(session, area)
    counted = 0 if communities == [] else repository.count_episodes(
        session, community_ids=communities, status=status, reported_on=reported_on,
        cap=COUNT_CAP)
    return page_count(offset=offset, shown=shown, counted=counted, cap=COUNT_CAP)


def resident_cases(session: Session, *, resident_id: int) -> Sequence[CaseEpisode]:
    """A resident's episodes, newest first."""
    return repository.resident_episodes(session, resident_id)


def events_since(session: Session, *, since: datetime, limit: int = 1000
                 ) -> Sequence[CaseEvent]:
    """Every change to episodes from a moment on, for computations that follow cases."""
    return repository.events_since(session, since, limit)


def bulletin(session: Session, *, day: date, as_of: datetime | None = None) -> rules.Bulletin:
    """The daily bulletin of a day, reproducible for any past day and moment."""
    moment = clock.aware(as_of or clock.now())
    districts = repository.districts(session)
    counted = rules.day_counts(repository.episodes_of_day(session, day), day, moment,
                               [d[0] for d in districts])
    names = {d[0]: d for d in districts}
    rows = []
    total = rules.DistrictCounts(district_id=0)
    for counts in counted:
        _id, code, name, local = names.get(counts.district_id, (counts.district_id, "?", "?",
                                                                  "?"))
        rows.append(rules.BulletinRow(counts.district_id, code, name, local, counts))
        total.local.add(counts.local)
        total.imported.add(counts.imported)
    return rules.Bulletin(day=day, as_of=moment, rows=rows, total=total)


def latest_report_day(session: Session, *, up_to: date) -> date | None:
    """The latest day, not after `up_to`, on which a case was reported."""
    return repository.latest_report_day(session, up_to)


@dataclass(frozen=True)
class DayTotals:
    """The city's new cases of one day, local and imported together and apart."""

    day: date
    counts: rules.DistrictCounts


def recent_days(session: Session, *, days: int = 7, today: date | None = None,
                as_of: datetime | None = None) -> list[DayTotals]:
    """The city's totals of the last `days` days that have reports, oldest first.

    The last day is the latest day with a report, or today when none is later than a
    week ago (so that a quiet week reads as zeros, not as an old week).
    """
    if not 1 <= days <= 366:
        raise ValidationFailedError(f"days must be between 1 and 366, not {days}")
    today = today or clock.city_today()
    latest = repository.latest_report_day(session)
    last = latest if latest is not None and today - latest < timedelta(days=days) else today
    last = min(last, today)
    out = []
    for back in range(days - 1, -1, -1):
        day = last - timedelta(days=back)
        out.append(DayTotals(day=day, counts=bulletin(session, day=day, as_of=as_of).total))
    return out


CSV_COLUMNS = (
    "day", "district_code", "district", "origin", "new_confirmed", "new_asymptomatic",
    "reclassified_asymptomatic_to_confirmed", "confirmed_total",
)


def bulletin_csv(result: rules.Bulletin) -> str:
    """The bulletin as CSV: one line per district and origin, then the city's totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    lines = [(row.code, row.name, row.counts) for row in result.rows]
    lines.append(("", "whole city", result.total))
    for code, name, counts in lines:
        for origin, c in (("local", counts.local), ("imported", counts.imported)):
            writer.writerow([result.day.isoformat(), code, name, origin, c.new_confirmed,
                             c.new_asymptomatic, c.reclassified, c.confirmed_total])
    return out.getvalue()


@dataclass(frozen=True)
class Curve:
    """New active cases per day in an area: by report day and by sampling day, and the
    newest day's cases per community."""

    days: list[date]
    reported: list[int]
    sampled: list[int]
    confirmed: list[int]  # reported that day as confirmed
    asymptomatic: list[int]  # reported that day as asymptomatic
    by_community: dict[int, int]  # reported on the last day


def epidemic_curve(session: Session, *, last: date, days: int = 28,
                   area: AreaFilter | None = None) -> Curve:
    """The epidemic curve of the last `days` days up to `last`, inside the area."""
    first = last - timedelta(days=days - 1)
    communities = testing.communities_of(session, area)
    rows = ([] if communities == [] else
            repository.episodes_between(session, first=first, last=last,
                                        community_ids=communities))
    span = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(span)}
    reported, sampled = [0] * days, [0] * days
    confirmed, asymptomatic = [0] * days, [0] * days
    by_community: dict[int, int] = {}
    for reported_on, sampled_on, classification, community in rows:
        if reported_on in index:
            i = index[reported_on]
            reported[i] += 1
            if classification == rules.CONFIRMED:
                confirmed[i] += 1
            else:
                asymptomatic[i] += 1
            if reported_on == last:
                by_community[community] = by_community.get(community, 0) + 1
        if sampled_on in index:
            sampled[index[sampled_on]] += 1
    return Curve(days=span, reported=reported, sampled=sampled, confirmed=confirmed,
                 asymptomatic=asymptomatic, by_community=by_community)


def cases_of_tubes(session: Session, *, tube_ids: Sequence[int]
                   ) -> list[tuple[int, CaseEpisode, AreaPath | None]]:
    """(tube, case, where its resident lives) for every case the tubes produced."""
    return [(tube_id, episode, people.resident_area(session, episode.resident_id))
            for tube_id, episode in repository.episodes_of_tubes(session, tube_ids)]


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """The case registry's merge part: the merged record's case episodes become the
    survivor's, history and all; two active episodes are both kept and named for review."""
    active = repository.active_episode_ids(session, [merge.survivor_id, merge.merged_id])
    moved = repoint(session, CaseEpisode, "resident_id", merge)
    notes = [f"{moved} case episode(s) moved"]
    if len(active) > 1:
        notes.append(f"cases {', '.join(str(i) for i in sorted(active))} are both active for "
                     "one person now: review them (withdraw one, or link them)")
    return notes


def public_counts(session: Session, *, up_to: date
                  ) -> tuple[list[tuple[date, int, int]], list[tuple[date, int]],
                             list[tuple[date, int]]]:
    """Active cases reported up to a day, for the public tables: (report day, district,
    n), (sampling day, n), (day confirmed, n)."""
    return repository.public_counts(session, up_to=up_to)


def district_keys(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, code, name, local name) of every district, by code."""
    return repository.districts(session)


def events_between(session: Session, *, since: datetime, until: datetime
                   ) -> list[tuple[str, date, date, date | None, datetime]]:
    """(kind, report day, sampling day, day confirmed, when) of the case events in
    (since, until], for the public log of what changed."""
    return repository.events_between(session, since=since, until=until)
