"""Use cases of the people domain: find residents, open them, their households and places."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.geography import service as places
from epidesk.geography.schemas import PlaceRef
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.i18n import _
from epidesk.kit.paging import COUNT_CAP, PageCount, page_count
from epidesk.people import repository
from epidesk.people.models import HouseholdMembership, Resident
from epidesk.people.rules import (
    PersonFacts,
    age_on,
    household_flags,
    id_type_label,
    kind_label,
    read_query,
    vulnerability_flags,
)
from epidesk.people.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    BuildingHouseholds,
    CommunityOverview,
    HouseholdBrief,
    HouseholdDetail,
    HouseholdStayOut,
    PersonDetail,
    PersonSearch,
    PersonSummary,
    PlaceOut,
    SchoolClassOut,
    VenueOut,
    WorkGroupOut,
)


def invalid(problems: list[tuple[str, str]]) -> ValidationFailedError:
    """A 422 problem naming each field that is wrong (as the API's own checks do)."""
    return ValidationFailedError(
        "; ".join(f"{name}: {message}" for name, message in problems),
        errors=[{"loc": ["body", name], "msg": message, "type": "value_error"}
                for name, message in problems])


def facts(resident: Resident, household_size: int) -> PersonFacts:
    """What the flag rules need to know about a resident."""
    return PersonFacts(
        birth_date=resident.birth_date,
        pregnant=resident.pregnant,
        disability=resident.disability,
        chronic_medication=resident.chronic_medication,
        has_smartphone=resident.has_smartphone,
        household_size=household_size,
    )


def _summary(resident: Resident, household_size: int, today: date) -> PersonSummary:
    return PersonSummary(
        id=resident.id,
        name=resident.name,
        name_latin=resident.name_latin,
        sex=resident.sex,
        age=age_on(resident.birth_date, today),
        community=places.community_ref(resident.community),
        household_id=resident.household_id,
        flags=list(vulnerability_flags(facts(resident, household_size), today=today)),
    )


def search_people(
    session: Session,
    *,
    query: str,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    area: AreaFilter | None = None,
    today: date | None = None,
) -> PersonSearch:
    """Residents whose name starts with the query, or whose id, id number or phone is it.

    With an area, only residents living inside it are found; without one, everyone.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailedError(
            f"offset must be between 0 and {MAX_OFFSET}, not {offset}: refine the query instead"
        )
    today = today or date.today()
    parsed = read_query(query)
    communities = communities_of(session, area) if parsed is not None else []
    if parsed is None or communities == []:
        return PersonSearch(query=query, mode=parsed.mode if parsed else None, limit=limit,
                            offset=offset, has_more=False, items=[])
    found = repository.search_residents(session, parsed, limit=limit + 1, offset=offset,
                                        community_ids=communities)
    page = found[:limit]
    sizes = repository.household_sizes(session, [r.household_id for r in page])
    return PersonSearch(
        query=query,
        mode=parsed.mode,
        limit=limit,
        offset=offset,
        has_more=len(found) > limit,
        items=[_summary(r, sizes.get(r.household_id, 1), today) for r in page],
    )


def summaries(session: Session, ids: Sequence[int], *, today: date | None = None
              ) -> dict[int, PersonSummary]:
    """Residents by id as listed (name, age, community, flags)."""
    today = today or date.today()
    found = repository.residents_by_id(session, ids)
    sizes = repository.household_sizes(session, sorted({r.household_id for r in found.values()}))
    return {i: _summary(r, sizes.get(r.household_id, 1), today) for i, r in found.items()}


def count_people(session: Session, *, query: str, offset: int = 0, shown: int = 0,
                 area: AreaFilter | None = None) -> PageCount:
    """Where a page of `search_people` (same query and area) lies among all it finds."""
    parsed = read_query(query)
    communities = communities_of(session, area) if parsed is not None else []
    counted = 0 if parsed is None or communities == [] else repository.count_search(
        session, parsed, cap=COUNT_CAP, community_ids=communities)
    return page_count(offset=offset, shown=shown, counted=counted, cap=COUNT_CAP,
                      max_offset=MAX_OFFSET)


def communities_of(session: Session, area: AreaFilter | None) -> list[int] | None:
    """The community ids an area covers, or None when it covers the whole city."""
    if area is None or area.everywhere:
        return None
    return places.community_ids_within(session, district_ids=sorted(area.district_ids),
                                       subdistrict_ids=sorted(area.subdistrict_ids),
                                       community_ids=sorted(area.community_ids))


def area_of_path(path: Sequence[PlaceRef]) -> AreaPath:
    """The district, subdistrict and community of a place's path."""
    ids = {ref.kind: ref.id for ref in path}
    return AreaPath(district_id=ids["district"], subdistrict_id=ids["subdistrict"],
                    community_id=ids["community"])


def resident_area(session: Session, resident_id: int) -> AreaPath | None:
    """Where a resident lives, or None when there is no such resident."""
    return repository.resident_area(session, resident_id)


def person_area(person: PersonDetail) -> AreaPath:
    """Where a resident lives, as area scopes see it."""
    return area_of_path(person.address.path)


def _visible(area: AreaFilter | None, path: Sequence[PlaceRef]) -> bool:
    return area is None or area.allows(area_of_path(path))


def person_detail(
    session: Session, *, resident_id: int, area: AreaFilter | None = None,
    today: date | None = None,
) -> PersonDetail:
    """A resident with personal data, household members, address and memberships.

    A resident outside the given area is not found, exactly as one who does not exist.
    """
    today = today or date.today()
    resident = repository.resident(session, resident_id)
    missing = NotFoundError(f"resident {resident_id} not found", kind="resident",
                            id=resident_id)
    if resident is None:
        raise missing
    household = resident.household
    address = places.address(session, address_id=household.address_id)
    if not _visible(area, address.path):
        raise missing
    members = repository.household_members(session, household.id)
    size = len(members)
    work_groups = [
        WorkGroupOut(
            work_group_id=m.work_group_id,
            work_group=m.work_group.name,
            workplace_id=m.work_group.workplace_id,
            workplace=m.work_group.workplace.name,
            workplace_kind=m.work_group.workplace.kind,
            start_date=m.start_date,
            end_date=m.end_date,
        )
        for m in repository.work_group_memberships(session, resident.id)
    ]
    school_classes = [
        SchoolClassOut(
            school_class_id=m.school_class_id,
            school_class=m.school_class.name,
            grade=m.school_class.grade,
            school_id=m.school_class.school_id,
            school=m.school_class.school.name,
            school_kind=m.school_class.school.kind,
            role=m.role,
            start_date=m.start_date,
            end_date=m.end_date,
        )
        for m in repository.class_memberships(session, resident.id)
    ]
    stays = repository.household_memberships(session, resident.id)
    stay_addresses = places.addresses(
        session, address_ids=sorted({m.household.address_id for m in stays}))
    households = [
        HouseholdStayOut(
            household_id=m.household_id,
            address=stay_addresses[m.household.address_id].label,
            start_date=m.start_date,
            end_date=m.end_date,
        )
        for m in stays
    ]
    return PersonDetail(
        id=resident.id,
        id_type=resident.id_type,
        id_type_label=id_type_label(resident.id_type),
        id_number=resident.id_number,
        registration_kind=resident.registration_kind,
        registration=kind_label(resident.registration_kind),
        registration_source=resident.registration_source,
        registered_by=resident.registered_by,
        registered_at=resident.registered_at,
        merged_into_id=resident.merged_into_id,
        merged_from=list(repository.merged_into(session, resident.id)),
        name=resident.name,
        name_latin=resident.name_latin,
        sex=resident.sex,
        birth_date=resident.birth_date,
        age=age_on(resident.birth_date, today),
        phone=resident.phone,
        has_smartphone=resident.has_smartphone,
        pregnant=resident.pregnant,
        disability=resident.disability,
        chronic_medication=resident.chronic_medication,
        language=resident.language,
        flags=list(vulnerability_flags(facts(resident, size), today=today)),
        household_id=household.id,
        home_suitable=household.home_suitable,
        address=address,
        household_members=[_summary(m, size, today) for m in members if m.id != resident.id],
        households=households,
        work_groups=work_groups,
        school_classes=school_classes,
    )


def move_resident(
    session: Session, *, resident_id: int, household_id: int, moved_on: date,
    today: date | None = None, area: AreaFilter | None = None,
) -> HouseholdMembership:
    """Record that a resident moved to another household on a date; returns the new membership.

    The membership they held ends the day before; the resident's current household and
    community become the new household's. With an area, a household outside it reads
    as unknown.
    """
    today = today or date.today()
    resident = repository.resident(session, resident_id)
    if resident is None:
        raise NotFoundError(f"resident {resident_id} not found", kind="resident",
                            id=resident_id)
    if resident.merged_into_id is not None:
        raise ValidationFailedError(
            _("resident %(id)d was merged into %(survivor)d: record the move on that record",
              id=resident_id, survivor=resident.merged_into_id))
    target = repository.household(session, household_id)
    if target is not None and area is not None and not area.allows(area_of_path(
            places.address(session, address_id=target.address_id).path)):
        target = None
    if target is None:
        raise NotFoundError(f"household {household_id} not found", kind="household",
                            id=household_id)
    if household_id == resident.household_id:
        raise invalid([("household_id",
                        _("resident %(id)d already lives in household %(household)d",
                          id=resident_id, household=household_id))])
    if moved_on > today:
        raise invalid([("moved_on", _("the move date %(day)s is after today (%(today)s): "
                                      "record a move once it has happened",
                                      day=moved_on.isoformat(), today=today.isoformat()))])
    current = repository.open_household_membership(session, resident_id)
    if current is not None:
        if moved_on <= current.start_date:
            raise invalid([("moved_on", _("the move date %(day)s must be after %(start)s, "
                                          "when resident %(id)d moved into household "
                                          "%(household)d", day=moved_on.isoformat(),
                                          start=current.start_date.isoformat(),
                                          id=resident_id, household=current.household_id))])
        current.end_date = moved_on - timedelta(days=1)
    stay = HouseholdMembership(household_id=household_id, resident_id=resident_id,
                               start_date=moved_on, end_date=None)
    session.add(stay)
    resident.household = target
    resident.community_id = target.community_id
    session.flush()
    # The community was loaded with the resident; let it be read again from the new id.
    session.expire(resident, ["community"])
    return stay


def household_detail(
    session: Session, *, household_id: int, area: AreaFilter | None = None,
    today: date | None = None,
) -> HouseholdDetail:
    """A household with its address, members, needs and whether it suits home quarantine."""
    today = today or date.today()
    household = repository.household(session, household_id)
    missing = NotFoundError(f"household {household_id} not found", kind="household",
                            id=household_id)
    if household is None:
        raise missing
    address = places.address(session, address_id=household.address_id)
    if not _visible(area, address.path):
        raise missing
    members = repository.household_members(session, household.id)
    size = len(members)
    return HouseholdDetail(
        id=household.id,
        home_suitable=household.home_suitable,
        address=address,
        flags=list(household_flags((facts(m, size) for m in members), today=today)),
        members=[_summary(m, size, today) for m in members],
    )


def community_overview(
    session: Session, *, community_id: int, area: AreaFilter | None = None
) -> CommunityOverview:
    """A community with its buildings, households per building, venues, workplaces, schools."""
    community = places.community_detail(session, community_id=community_id)
    if not _visible(area, [*community.path, PlaceRef(
            kind="community", id=community.id, name=community.name,
            name_local=community.name_local)]):
        raise NotFoundError(f"community {community_id} not found", kind="community",
                            id=community_id)
    return CommunityOverview(
        community=community,
        households_by_building=repository.households_per_building(session, community.id),
        venues=[VenueOut.model_validate(v) for v in repository.venues(session, community.id)],
        workplaces=[
            PlaceOut.model_validate(w) for w in repository.workplaces(session, community.id)
        ],
        schools=[PlaceOut.model_validate(s) for s in repository.schools(session, community.id)],
    )


def building_households(
    session: Session, *, building_id: int, area: AreaFilter | None = None,
    today: date | None = None,
) -> BuildingHouseholds:
    """A building with its units and flats, and the household in each flat with its needs."""
    today = today or date.today()
    building = places.building_detail(session, building_id=building_id)
    if not _visible(area, building.path):
        raise NotFoundError(f"building {building_id} not found", kind="building",
                            id=building_id)
    members: dict[int, list[Resident]] = defaultdict(list)
    for resident in repository.building_residents(session, building_id):
        members[resident.household_id].append(resident)
    households = repository.building_households(session, building_id)
    return BuildingHouseholds(
        building=building,
        households=[_brief(h.id, h.address_id, h.home_suitable, members[h.id], today)
                    for h in households],
    )


def _brief(
    household_id: int, address_id: int, home_suitable: bool, members: Sequence[Resident],
    today: date,
) -> HouseholdBrief:
    size = len(members)
    return HouseholdBrief(
        id=household_id,
        address_id=address_id,
        members=size,
        home_suitable=home_suitable,
        flags=list(household_flags((facts(m, size) for m in members), today=today)),
    )
