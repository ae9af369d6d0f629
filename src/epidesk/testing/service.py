"""Use cases of the testing domain: batches, tubes, histories, retests, positive results.

Ingesting a batch is in `testing.ingest.service`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.geography import service as places
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.imports import listed_problems, problem_counts
from epidesk.kit.merges import Merge, repoint
from epidesk.kit.paging import COUNT_CAP, PageCount, page_count
from epidesk.kit.paging import MAX_LIST as MAX_LIST
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.testing import repository, rules
from epidesk.testing.models import LabBatch, PositiveResult, RetestOrder, Sample, Tube
from epidesk.testing.rules import TestingHistory, TubeDetail

# ------------------------------------------------------------------ reading


def list_batches(session: Session, *, limit: int = 50, offset: int = 0,
                 status: str | None = None) -> Sequence[LabBatch]:
    """Batches, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    return repository.batches(session, limit=limit, offset=offset, status=status)


def count_batches(session: Session, *, status: str | None = None, offset: int = 0,
                  shown: int = 0) -> PageCount:
    """Where a page of `list_batches` (with the same status) lies among all batches."""
    counted = repository.count_batches(session, status=status, cap=COUNT_CAP)
    return page_count(offset=offset, shown=shown, counted=counted, cap=COUNT_CAP)


def get_batch(session: Session, *, batch_id: int) -> LabBatch:
    """A batch by id, or NotFoundError."""
    found = repository.batch(session, batch_id)
    if found is None:
        raise NotFoundError(f"no lab batch {batch_id}")
    return found


def batch_problems(batch: LabBatch) -> list[dict[str, Any]]:
    """The listed problems of a rejected batch."""
    return listed_problems(batch)


def batch_problem_counts(batch: LabBatch) -> dict[str, int]:
    """How many problems of each kind a rejected batch had."""
    return problem_counts(batch)


def batch_tubes(session: Session, *, batch_id: int, outcome: str | None = None,
                limit: int = 100, offset: int = 0, area: AreaFilter | None = None
                ) -> Sequence[Tube]:
    """Tubes of a batch (tube fields only); with an area, only the tubes holding a sample
    of a resident inside it, as a tube with none there is not found (`tube_detail`)."""
    get_batch(session, batch_id=batch_id)
    if outcome is not None and outcome not in rules.OUTCOMES:
        raise ValidationFailedError(f"outcome must be one of {', '.join(rules.OUTCOMES)}")
    communities = communities_of(session, area)
    if communities == []:
        return []
    return repository.batch_tubes(session, batch_id, outcome=outcome, limit=limit,
                                  offset=offset, community_ids=communities)


def communities_of(session: Session, area: AreaFilter | None) -> list[int] | None:
    """The community ids an area covers, or None when it covers the whole city."""
    if area is None or area.everywhere:
        return None
    return places.community_ids_within(session, district_ids=sorted(area.district_ids),
                                       subdistrict_ids=sorted(area.subdistrict_ids),
                                       community_ids=sorted(area.community_ids))


def tube_detail(session: Session, *, tube_id: int, area: AreaFilter | None = None
                ) -> TubeDetail:
    """A tube with its samples inside the area; a tube with none there is not found."""
    found = repository.tube(session, tube_id)
    if found is None:
        raise NotFoundError(f"no tube {tube_id}")
    samples = repository.tube_samples(session, tube_id)
    residents = people.residents_by_id(session, [s.resident_id for s in samples])
    every = [(s, residents[s.resident_id]) for s in samples if s.resident_id in residents]
    visible = every
    if area is not None and not area.everywhere:
        communities = set(communities_of(session, area) or ())
        visible = [(s, r) for s, r in every if r.community_id in communities]
    if not visible:
        raise NotFoundError(f"no tube {tube_id}")
    shown = {s.resident_id for s, _ in visible}
    retests = [o for o in repository.tube_retests(session, tube_id) if o.resident_id in shown]
    return TubeDetail(tube=found, samples=visible, hidden_samples=len(every) - len(visible),
                      retests=retests)


def tube_id_of(session: Session, *, code: str) -> int:
    """The id of the tube with this barcode, or NotFoundError."""
    found = repository.tube_id_of_code(session, code)
    if found is None:
        raise NotFoundError(f"no tube {code!r}")
    return found


def resident_area(session: Session, *, resident_id: int) -> AreaPath | None:
    """Where a resident lives, or None when there is no such resident."""
    return people.resident_area(session, resident_id)


def resident_record(session: Session, *, resident_id: int
                    ) -> tuple[Resident, AreaPath] | None:
    """A resident and where they live, or None when there is no such resident."""
    return people.resident_with_area(session, resident_id)


def testing_history(session: Session, *, resident_id: int) -> TestingHistory:
    """A resident's samples, results and retest orders (check the caller's area first)."""
    found = people.resident_with_area(session, resident_id)
    if found is None:
        raise NotFoundError(f"no resident {resident_id}")
    resident, area = found
    return TestingHistory(resident=resident, area=area,
                          samples=repository.resident_samples(session, resident_id),
                          retests=repository.resident_retests(session, resident_id))


def list_retests(session: Session, *, status: str | None = "open", limit: int = 100,
                 offset: int = 0, area: AreaFilter | None = None
                 ) -> list[tuple[RetestOrder, Resident]]:
    """Retest orders of residents inside the area, oldest first."""
    if status is not None and status not in ("open", "negative", "positive"):
        raise ValidationFailedError("status must be open, negative or positive")
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    communities = communities_of(session, area)
    if communities == []:
        return []
    orders = repository.retests(session, status=status, limit=limit, offset=offset,
                                community_ids=communities)
    residents = people.residents_by_id(session, [o.resident_id for o in orders])
    return [(o, residents[o.resident_id]) for o in orders]


def count_retests(session: Session, *, status: str | None = "open", offset: int = 0,
                  shown: int = 0, area: AreaFilter | None = None) -> PageCount:
    """Where a page of `list_retests` (same status and area) lies among all such orders."""
    communities = communities_of(session, area)
    counted = 0 if communities == [] else repository.count_retests(
        session, status=status, community_ids=communities, cap=COUNT_CAP)
    return page_count(offset=offset, shown=shown, counted=counted, cap=COUNT_CAP)


# ------------------------------------------------------------------ for followers


def positive_results_after(session: Session, *, position: int, limit: int = 100_000
                           ) -> Sequence[PositiveResult]:
    """Positive single-tube results ingested after an event id, oldest first."""
    return repository.positive_results_after(session, position, limit)


def pooled_swabs(session: Session, *, tube_ids: Sequence[int]
                 ) -> dict[tuple[int, int], datetime]:
    """(single tube, resident) -> when the resident's swab went into the positive pool that
    single tube re-tested: a pool member's case counts from that swab."""
    return repository.pooled_swabs(session, tube_ids)


def add_case_counts(session: Session, *, batch_id: int, counts: Mapping[str, int]) -> None:
    """Record on a batch how many cases its positives opened and re-positives it linked."""
    repository.add_case_counts(session, batch_id, counts)


@dataclass(frozen=True)
class LabDay:
    """What the labs reported on one of the city's days (city-wide: batches have no area)."""

    day: date
    samples: int
    tubes: int
    positive_tubes: int

    @property
    def positivity(self) -> float:
        """Positive tubes per tube tested (pooled tubes count once)."""
        return self.positive_tubes / self.tubes if self.tubes else 0.0


def lab_days(session: Session, *, last: date, days: int = 14) -> list[LabDay]:
    """Samples, tubes and positive tubes of accepted batches per day, by day received."""
    first = last - timedelta(days=days - 1)
    zone = clock.city_zone()
    totals = {first + timedelta(days=i): [0, 0, 0] for i in range(days)}
    for at, samples, tubes, positive in repository.accepted_batches_between(
            session, start=clock.day_start(first, zone),
            end=clock.day_start(last + timedelta(days=1), zone)):
        day = clock.local_day(at, zone)
        if day in totals:
            for i, n in enumerate((samples, tubes, positive)):
                totals[day][i] += n
    return [LabDay(day, *counts) for day, counts in totals.items()]


def rejected_batches(session: Session, *, since: datetime) -> int:
    """Files rejected since a moment (and not accepted since)."""
    return repository.rejected_batch_count(session, since=since)


def latest_result_day(session: Session, *, up_to: date) -> date | None:
    """The latest city day, not after `up_to`, on which a tube's result was given."""
    zone = clock.city_zone()
    found = repository.latest_result_before(
        session, clock.day_start(up_to + timedelta(days=1), zone))
    return clock.local_day(clock.aware(found), zone) if found is not None else None


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Testing's merge part: the merged record's samples, retest orders and positive
    results become the survivor's."""
    return [f"{repoint(session, model, 'resident_id', merge)} {what} moved"
            for model, what in ((Sample, "sample(s)"), (RetestOrder, "retest order(s)"),
                                (PositiveResult, "positive result(s)"))]


def first_lab_day(session: Session) -> date | None:
    """The city day the first accepted lab batch was received, if any."""
    found = repository.first_accepted_batch_at(session)
    return clock.local_day(clock.aware(found), clock.city_zone()) if found is not None else None
