"""Quarantine use cases for facilities: lists, capacity per day, the room reserve,
inspections and eligibility, complaints. Session first, keyword-only arguments after;
flush, never commit. (Orders and release: `orders/service.py`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.merges import Merge
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.quarantine import repository, rules
from epidesk.quarantine.models import Facility, FacilityComplaint, Inspection, InspectionItem
from epidesk.quarantine.schemas import (
    CapacityDay,
    ComplaintIn,
    ComplaintOut,
    EligibilityOut,
    FacilityDetail,
    FacilitySummary,
    InspectionIn,
    InspectionItemOut,
    InspectionOut,
    Reserve,
    ReserveRow,
    RoomOut,
)


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Quarantine's merge part: the merged record's orders and room assignments become
    the survivor's (both records' orders are kept: each rests on its own evidence)."""
    moved = repository.merge_rows(session, merge)
    return [f"{count} {what} moved" for what, count in moved.items()]


def _window(day: date) -> tuple[datetime, datetime]:
    return clock.day_start(day), clock.day_start(day + timedelta(days=1))


def _facts(inspection: Inspection | None) -> rules.InspectionFacts | None:
    if inspection is None:
        return None
    return rules.InspectionFacts(
        inspected_on=inspection.inspected_on, passed=inspection.passed,
        failed_items=tuple(i.item for i in inspection.items if not i.passed))


def _eligibility(facility: Facility, inspection: Inspection | None, day: date
                 ) -> rules.Eligibility:
    return rules.eligibility(
        _facts(inspection), day=day, valid_days=get_settings().inspection_valid_days,
        is_open=rules.open_on(facility.opened_on, facility.closed_on, facility.status, day))


def _eligibility_out(found: rules.Eligibility) -> EligibilityOut:
    return EligibilityOut(eligible=found.eligible, reason=found.reason,
                          failed_items=list(found.failed_items),
                          inspection_expires_on=found.expires_on)


def eligible_facilities(session: Session, day: date, *, use: str | None = None
                        ) -> list[Facility]:
    """The facilities that may take new placements on a day (open, latest inspection
    passed and recent enough), optionally of one use ("quarantine" or "isolation")."""
    found = [f for f in repository.all_facilities(session) if use is None or f.use == use]
    latest = repository.latest_inspections(session, [f.id for f in found], on_or_before=day)
    return [f for f in found if _eligibility(f, latest.get(f.id), day).eligible]


def facility_eligibility(session: Session, *, day: date) -> dict[int, rules.Eligibility]:
    """Every facility's eligibility on a day, by id."""
    found = repository.all_facilities(session)
    latest = repository.latest_inspections(session, on_or_before=day)
    return {f.id: _eligibility(f, latest.get(f.id), day) for f in found}


def _summaries(session: Session, found: Sequence[Facility], day: date) -> list[FacilitySummary]:
    ids = [f.id for f in found]
    totals = repository.room_totals(session, ids)
    occupied = repository.occupancy(session, *_window(day), ids)
    latest = repository.latest_inspections(session, ids, on_or_before=day)
    complaints = repository.complaint_counts(session, ids)
    cities = repository.city_names(session)
    districts = repository.district_names(session)
    out = []
    for f in found:
        rooms, beds = totals.get(f.id, (0, 0))
        people_in = occupied.get(f.id, (0, 0))[0]
        out.append(FacilitySummary(
            id=f.id, code=f.code, name=f.name, city=cities.get(f.city_id, ""),
            district=districts.get(f.district_id) if f.district_id else None, kind=f.kind,
            use=f.use, status=f.status, medical_staff=f.medical_staff, rooms=rooms,
            beds=beds, occupied_beds=people_in, free_beds=max(0, beds - people_in),
            complaints=complaints.get(f.id, 0),
            eligibility=_eligibility_out(_eligibility(f, latest.get(f.id), day))))
    return out


@dataclass(frozen=True)
class PublicFacility:
    """A facility in use on a day as the public sees it: a public building, its capacity
    and occupancy (counts), eligibility and latest inspection; no person."""

    code: str
    name: str
    city: str  # the city's code
    district: str  # the district's code; "" in a neighbouring city
    kind: str
    rooms: int
    beds: int
    occupied_beds: int
    eligible: bool
    inspected_on: date | None
    passed: bool | None
    failed_items: tuple[str, ...]


def public_facilities(session: Session, *, day: date) -> list[PublicFacility]:
    """The facilities in use on a day (taking people or suspended within their dates, or
    with anyone in a room that day), by code: rooms and beds in service, people in rooms
    at some time of the day, eligibility and the latest inspection up to the day."""
    found = repository.all_facilities(session)
    ids = [f.id for f in found]
    totals = repository.room_totals(session, ids)
    occupied = repository.occupancy(session, *_window(day), ids)
    latest = repository.latest_inspections(session, ids, on_or_before=day)
    cities = repository.city_code_by_id(session)
    districts = repository.district_code_by_id(session)
    out = []
    for f in found:
        people_in = occupied.get(f.id, (0, 0))[0]
        within = f.opened_on <= day and (f.closed_on is None or day < f.closed_on)
        if not (people_in or (within and f.status in ("open", "suspended"))):
            continue
        rooms, beds = totals.get(f.id, (0, 0))
        last = latest.get(f.id)
        facts = _facts(last)
        out.append(PublicFacility(
            code=f.code, name=f.name, city=cities.get(f.city_id, ""),
            district=districts.get(f.district_id, "") if f.district_id else "",
            kind=f.kind, rooms=rooms, beds=beds, occupied_beds=people_in,
            eligible=_eligibility(f, last, day).eligible,
            inspected_on=facts.inspected_on if facts else None,
            passed=facts.passed if facts else None,
            failed_items=facts.failed_items if facts else ()))
    return out


def list_facilities(session: Session, *, day: date | None = None, city_id: int | None = None,
                    district_id: int | None = None, use: str | None = None,
                    limit: int = 100, offset: int = 0) -> list[FacilitySummary]:
    """A page of facilities with their capacity and eligibility on a day (default today)."""
    found = repository.facilities(session, city_id=city_id, district_id=district_id, use=use,
                                  limit=limit, offset=offset)
    return _summaries(session, found, day or clock.local_day(clock.now()))


def count_facilities(session: Session, *, city_id: int | None = None,
                     district_id: int | None = None, use: str | None = None,
                     cap: int = 10_000) -> int:
    """How many facilities match (up to cap)."""
    return repository.count_facilities(session, city_id=city_id, district_id=district_id,
                                       use=use, cap=cap)


def _get(session: Session, facility_id: int) -> Facility:
    found = repository.facility(session, facility_id)
    if found is None:
        raise NotFoundError(f"no facility {facility_id}")
    return found


def _inspection_out(i: Inspection) -> InspectionOut:
    return InspectionOut(id=i.id, facility_id=i.facility_id, inspected_on=i.inspected_on,
                         inspector=i.inspector, passed=i.passed, note=i.note,
                         recorded_by=i.recorded_by,
                         items=[InspectionItemOut(item=x.item, passed=x.passed, note=x.note)
                                for x in i.items])


def facility_detail(session: Session, *, facility_id: int, day: date | None = None
                    ) -> FacilityDetail:
    """A facility with its rooms, inspections, complaints and capacity on a day."""
    f = _get(session, facility_id)
    summary = _summaries(session, [f], day or clock.local_day(clock.now()))[0]
    return FacilityDetail(
        **summary.model_dump(), address=f.address, lat=f.lat, lon=f.lon,
        separate_areas=f.separate_areas, manager_name=f.manager_name,
        manager_phone=f.manager_phone, opened_on=f.opened_on, closed_on=f.closed_on,
        room_list=[RoomOut.model_validate(r, from_attributes=True) for r in f.rooms],
        inspections=[_inspection_out(i) for i in repository.inspections(session, f.id)],
        complaint_list=[ComplaintOut.model_validate(c, from_attributes=True)
                        for c in repository.complaints(session, f.id)])


def facility_by_code(session: Session, *, code: str) -> Facility:
    """A facility by its code."""
    found = repository.facilities_by_code(session, [code]).get(code)
    if found is None:
        raise NotFoundError(f"no facility with the code {code!r}")
    return found


def capacity(session: Session, *, first: date, days: int = 1,
             facility_id: int | None = None) -> list[CapacityDay]:
    """Capacity per facility and day: rooms and beds in service on the days it is open,
    beds occupied, beds free."""
    if not 1 <= days <= 60:
        raise ValidationFailedError("days must be from 1 to 60", field="days")
    found = ([_get(session, facility_id)] if facility_id is not None
             else list(repository.all_facilities(session)))
    ids = [f.id for f in found]
    totals = repository.room_totals(session, ids)
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        occupied = repository.occupancy(session, *_window(day), ids)
        for f in found:
            is_open = rules.open_on(f.opened_on, f.closed_on, f.status, day)
            rooms, beds = totals.get(f.id, (0, 0)) if is_open else (0, 0)
            taken = occupied.get(f.id, (0, 0))[0]
            out.append(CapacityDay(facility_id=f.id, code=f.code, day=day, open=is_open,
                                   rooms=rooms, beds=beds, occupied_beds=taken,
                                   free_beds=max(0, beds - taken)))
    return out


def reserve(session: Session, *, preset: Preset | None = None) -> Reserve:
    """The national reserve target (rooms per 10,000 residents) against the quarantine
    rooms that exist, per district of the home city; rooms in neighbouring cities are
    a line of their own (they count towards no district)."""
    chosen = preset or active_preset()
    per_10k = chosen.facilities.reserve.rooms_per_10k_residents
    residents = people.residents_per_district(session)
    rooms = repository.reserve_rooms(session, use=rules.QUARANTINE, not_status="closed")
    rows = []
    for district in repository.home_districts(session):
        count = residents.get(district.id, 0)
        target = rules.reserve_target(count, per_10k)
        have = rooms.get(district.id, 0)
        rows.append(ReserveRow(district_id=district.id, district=district.name,
                               residents=count, target_rooms=target, rooms=have,
                               shortfall=max(0, target - have)))
    if rooms.get(None):
        rows.append(ReserveRow(district_id=None, district="neighbouring cities", residents=0,
                               target_rooms=0, rooms=rooms[None], shortfall=0))
    return Reserve(rooms_per_10k_residents=per_10k, rule="facilities.reserve", rows=rows)


def record_inspection(session: Session, *, facility_id: int, inspection: InspectionIn,
                      actor: str) -> InspectionOut:
    """Record an inspection against the whole checklist; it passes only when every item
    did. An item left out or given twice is refused, and nothing is written."""
    f = _get(session, facility_id)
    items = {i.item: i for i in inspection.items}
    if len(items) != len(inspection.items):
        raise ValidationFailedError("an item of the checklist is given twice", field="items")
    left_out = rules.missing_items({k: v.passed for k, v in items.items()})
    if left_out:
        raise ValidationFailedError(
            "the inspection leaves out checklist items: " + ", ".join(left_out), field="items")
    if inspection.inspected_on > clock.local_day(clock.now()):
        raise ValidationFailedError("the inspection day is in the future",
                                    field="inspected_on")
    passed = rules.inspection_passed({k: v.passed for k, v in items.items()})
    row = Inspection(facility_id=f.id, inspected_on=inspection.inspected_on,
                     inspector=inspection.inspector, passed=passed, note=inspection.note,
                     recorded_at=clock.now(), recorded_by=actor[:64])
    row.items = [InspectionItem(item=k, passed=v.passed, note=v.note) for k, v in items.items()]
    session.add(row)
    session.flush()
    return _inspection_out(row)


def link_complaint(session: Session, *, facility_id: int, complaint: ComplaintIn,
                   received_at: datetime | None = None) -> ComplaintOut:
    """Link a complaint about conditions to a facility (the hotline calls this with its
    ticket's id as reference); linking the same reference twice is refused."""
    f = _get(session, facility_id)
    if repository.complaint_by_reference(session, complaint.source, complaint.reference):
        raise ConflictError(f"{complaint.source} {complaint.reference} is already linked")
    row = FacilityComplaint(facility_id=f.id, source=complaint.source,
                            reference=complaint.reference, topic=complaint.topic,
                            summary=complaint.summary,
                            received_at=received_at or clock.now())
    session.add(row)
    session.flush()
    return ComplaintOut.model_validate(row, from_attributes=True)


def complaint_count(session: Session, *, facility_id: int, open_only: bool = False) -> int:
    """How many complaints a facility has (unresolved only with open_only)."""
    return repository.complaint_counts(session, [facility_id], open_only=open_only).get(
        facility_id, 0)
