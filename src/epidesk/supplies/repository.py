"""Every query of the supplies domain (households served, needs, requests, batches).

Households, residents and addresses are read here only as they stand (read-only joins to
find a household's members and its door); geography's tables are reference data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
from epidesk.kit.access import AreaPath
from epidesk.kit.bulk.reading import chunks
from epidesk.people.models import Household, Resident
from epidesk.supplies.models import (
    Delivery,
    DeliveryBatch,
    HouseholdNeed,
    SupplyHousehold,
    SupplyRequest,
)
from epidesk.supplies.rules import Member
from epidesk.zoning.models import ZoneChange


@dataclass(frozen=True)
class Door:
    """Where a household lives: its building, the door's walking order and its area."""

    household_id: int
    address_id: int
    building_id: int
    building_number: int
    unit: int
    floor: int
    door: int
    community: str
    community_local: str
    area: AreaPath


# ---------------------------------------------------------------- households and members


def households_at(session: Session, address_ids: Sequence[int]) -> dict[int, int]:
    """address -> household living there."""
    out: dict[int, int] = {}
    for chunk in chunks(address_ids):
        out.update({int(a): int(h) for a, h in session.execute(
            select(Household.address_id, Household.id)
            .where(Household.address_id.in_(chunk))).all()})
    return out


def inhabited(session: Session, household_ids: Sequence[int]) -> list[int]:
    """The households of these that someone lives in."""
    out: set[int] = set()
    for chunk in chunks(household_ids):
        out.update(int(h) for h in session.scalars(
            select(Resident.household_id).where(Resident.household_id.in_(chunk),
                                                Resident.merged_into_id.is_(None))))
    return sorted(out)


def doors(session: Session, household_ids: Sequence[int]) -> dict[int, Door]:
    """Each household's door (building, unit, floor, door) and area."""
    out: dict[int, Door] = {}
    for chunk in chunks(household_ids):
        rows = session.execute(
            select(Household.id, Address.id, Building.id, Building.number, Unit.number,
                   Address.floor, Address.door, Community.name, Community.name_local,
                   Subdistrict.district_id, Community.subdistrict_id, Community.id)
            .join(Address, Address.id == Household.address_id)
            .join(Unit, Unit.id == Address.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Building.community_id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(Household.id.in_(chunk))).all()
        for h, a, b, bn, u, f, d, cn, cl, dist, sub, com in rows:
            out[int(h)] = Door(int(h), int(a), int(b), int(bn), int(u), int(f), int(d), cn, cl,
                               AreaPath(int(dist), int(sub), int(com)))
    return out


def members(session: Session, household_ids: Sequence[int]) -> dict[int, list[Member]]:
    """The members of each household, as the rules read them."""
    out: dict[int, list[Member]] = {h: [] for h in household_ids}
    for chunk in chunks(household_ids):
        for h, birth, preg, dis, chronic in session.execute(
                select(Resident.household_id, Resident.birth_date, Resident.pregnant,
                       Resident.disability, Resident.chronic_medication)
                .where(Resident.household_id.in_(chunk), Resident.merged_into_id.is_(None))):
            out.setdefault(int(h), []).append(Member(birth, bool(preg), bool(dis),
                                                     bool(chronic)))
    return out


def member_rows(session: Session, household_ids: Sequence[int]
                ) -> dict[int, list[tuple[int, str, str, date, str | None, bool]]]:
    """Each household's members for finding them by phone: (id, name, latin name, birth
    date, phone, has a smartphone), eldest first."""
    out: dict[int, list[tuple[int, str, str, date, str | None, bool]]] = {}
    for chunk in chunks(household_ids):
        for h, r, name, latin, birth, phone, smart in session.execute(
                select(Resident.household_id, Resident.id, Resident.name, Resident.name_latin,
                       Resident.birth_date, Resident.phone, Resident.has_smartphone)
                .where(Resident.household_id.in_(chunk), Resident.merged_into_id.is_(None))
                .order_by(Resident.birth_date, Resident.id)):
            out.setdefault(int(h), []).append((int(r), name, latin, birth, phone, bool(smart)))
    return out


def household_of_resident(session: Session, resident_id: int) -> int | None:
    """The household a resident lives in now."""
    found = session.scalar(select(Resident.household_id).where(Resident.id == resident_id))
    return None if found is None else int(found)


def residents_of(session: Session, household_ids: Sequence[int]) -> list[int]:
    """The residents living in these households."""
    out: list[int] = []
    for chunk in chunks(household_ids):
        out += [int(r) for r in session.scalars(
            select(Resident.id).where(Resident.household_id.in_(chunk),
                                      Resident.merged_into_id.is_(None)))]
    return sorted(out)


def contact_of(session: Session, household_id: int) -> tuple[int, str, str] | None:
    """The household's first member with a phone: (resident, phone, language)."""
    row = session.execute(
        select(Resident.id, Resident.phone, Resident.language)
        .where(Resident.household_id == household_id, Resident.merged_into_id.is_(None))
        .order_by(Resident.phone.is_(None), Resident.birth_date, Resident.id).limit(1)).first()
    return None if row is None else (int(row[0]), row[1] or "", row[2] or "zh")


def households_by_phone(session: Session, phone: str) -> list[int]:
    """The households of residents with this phone number."""
    return sorted({int(h) for h in session.scalars(
        select(Resident.household_id).where(Resident.phone == phone,
                                            Resident.merged_into_id.is_(None)))})


# ---------------------------------------------------------------- the roster


def latest_zone_change(session: Session) -> int:
    """The newest zone change's id (0 before any): what the roster has followed."""
    return int(session.scalar(select(func.max(ZoneChange.id))) or 0)


def roster(session: Session, *, current_on: date | None = None) -> Sequence[SupplyHousehold]:
    """The households served (restricted on `current_on` when given), by household."""
    stmt = select(SupplyHousehold).order_by(SupplyHousehold.household_id)
    if current_on is not None:
        stmt = stmt.where(SupplyHousehold.restricted_since <= current_on,
                          (SupplyHousehold.restricted_until.is_(None))
                          | (SupplyHousehold.restricted_until > current_on))
    return session.scalars(stmt).all()


def roster_row(session: Session, household_id: int) -> SupplyHousehold | None:
    """One household's row of the roster."""
    return session.get(SupplyHousehold, household_id)


def needs(session: Session, household_ids: Sequence[int], *, on: date
          ) -> dict[int, list[HouseholdNeed]]:
    """The recorded needs in force on a day, per household."""
    out: dict[int, list[HouseholdNeed]] = {}
    for chunk in chunks(household_ids):
        for n in session.scalars(select(HouseholdNeed).where(
                HouseholdNeed.household_id.in_(chunk),
                (HouseholdNeed.ended_on.is_(None)) | (HouseholdNeed.ended_on > on))
                .order_by(HouseholdNeed.id)):
            out.setdefault(n.household_id, []).append(n)
    return out


def need(session: Session, need_id: int) -> HouseholdNeed | None:
    """One recorded need."""
    return session.get(HouseholdNeed, need_id)


# ---------------------------------------------------------------- requests


def open_request(session: Session, household_id: int, items: str) -> SupplyRequest | None:
    """The household's open request for exactly these items, if any."""
    return session.scalar(select(SupplyRequest).where(
        SupplyRequest.household_id == household_id, SupplyRequest.items == items,
        SupplyRequest.status.in_(("open", "planned"))).order_by(SupplyRequest.id).limit(1))


def open_requests(session: Session, household_ids: Sequence[int] | None = None
                  ) -> Sequence[SupplyRequest]:
    """Open requests (not yet in a batch), of these households or all matched ones."""
    stmt = select(SupplyRequest).where(SupplyRequest.status == "open",
                                       SupplyRequest.household_id.is_not(None))
    if household_ids is not None:
        stmt = stmt.where(SupplyRequest.household_id.in_(list(household_ids)))
    return session.scalars(stmt.order_by(SupplyRequest.id)).all()


def unmatched_requests(session: Session, *, limit: int) -> Sequence[SupplyRequest]:
    """Open requests no household was found for: staff match them by hand."""
    return session.scalars(select(SupplyRequest).where(
        SupplyRequest.status == "open", SupplyRequest.household_id.is_(None))
        .order_by(SupplyRequest.id).limit(limit)).all()


def request(session: Session, request_id: int) -> SupplyRequest | None:
    """One request."""
    return session.get(SupplyRequest, request_id)


def request_by_reference(session: Session, reference: str) -> SupplyRequest | None:
    """A request by its reference."""
    return session.scalar(select(SupplyRequest).where(SupplyRequest.reference == reference))


def requests_of(session: Session, household_id: int, *, limit: int = 50
                ) -> Sequence[SupplyRequest]:
    """A household's requests, newest first."""
    return session.scalars(select(SupplyRequest).where(
        SupplyRequest.household_id == household_id)
        .order_by(SupplyRequest.id.desc()).limit(limit)).all()


def recent_from(session: Session, source_key: str, since: datetime) -> int:
    """How many public requests came from one network address since a moment."""
    return int(session.scalar(select(func.count()).select_from(SupplyRequest).where(
        SupplyRequest.source_key == source_key, SupplyRequest.received_at >= since)) or 0)


def requests_by_day_and_district(session: Session, day: date
                                 ) -> tuple[dict[int | None, int], dict[int | None, int]]:
    """(received, served) requests on a day, by district (None: no household found)."""
    received = {d: int(n) for d, n in session.execute(
        select(SupplyRequest.district_id, func.count()).where(
            SupplyRequest.received_on == day).group_by(SupplyRequest.district_id))}
    served = {d: int(n) for d, n in session.execute(
        select(SupplyRequest.district_id, func.count()).where(
            SupplyRequest.served_on == day).group_by(SupplyRequest.district_id))}
    return received, served


# ---------------------------------------------------------------- batches and deliveries


def batches(session: Session, *, day: date, building_ids: Sequence[int] | None = None
            ) -> Sequence[DeliveryBatch]:
    """The batches of a day in round order."""
    stmt = select(DeliveryBatch).where(DeliveryBatch.on_day == day)
    if building_ids is not None:
        stmt = stmt.where(DeliveryBatch.building_id.in_(list(building_ids)))
    return session.scalars(stmt.order_by(DeliveryBatch.rank, DeliveryBatch.id)).all()


def batch(session: Session, batch_id: int) -> DeliveryBatch | None:
    """One batch."""
    return session.get(DeliveryBatch, batch_id)


def delivery(session: Session, delivery_id: int) -> Delivery | None:
    """One delivery."""
    return session.get(Delivery, delivery_id)


def planned_households(session: Session) -> set[int]:
    """Households with a delivery planned and not yet confirmed or failed."""
    return {int(h) for h in session.scalars(
        select(Delivery.household_id).where(Delivery.status == "planned"))}


def deliveries_of(session: Session, household_id: int, *, limit: int = 20
                  ) -> Sequence[Delivery]:
    """A household's deliveries, newest first."""
    return session.scalars(select(Delivery).where(Delivery.household_id == household_id)
                           .order_by(Delivery.id.desc()).limit(limit)).all()


def serve_requests(session: Session, request_ids: Sequence[int], *, status: str,
                   served_on: date | None) -> None:
    """Move requests to a status (and the day they were served)."""
    if request_ids:
        session.execute(update(SupplyRequest).where(SupplyRequest.id.in_(list(request_ids)))
                        .values(status=status, served_on=served_on))


def district_of_building(session: Session, building_id: int) -> int | None:
    """The district a building lies in."""
    found = session.scalar(
        select(Subdistrict.district_id).join(Community,
                                             Community.subdistrict_id == Subdistrict.id)
        .join(Building, Building.community_id == Community.id)
        .where(Building.id == building_id))
    return None if found is None else int(found)


def building_area(session: Session, building_id: int) -> AreaPath | None:
    """Where a building lies."""
    row = session.execute(
        select(Subdistrict.district_id, Community.subdistrict_id, Community.id)
        .join(Community, Community.subdistrict_id == Subdistrict.id)
        .join(Building, Building.community_id == Community.id)
        .where(Building.id == building_id)).first()
    return None if row is None else AreaPath(int(row[0]), int(row[1]), int(row[2]))
