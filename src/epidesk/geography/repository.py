"""Every query of the geography domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from epidesk.geography.models import (
    Address,
    Building,
    City,
    Community,
    District,
    Subdistrict,
    Unit,
)

HOME = "home"
NEIGHBOUR = "neighbour"


def home_city(session: Session) -> City | None:
    """The home city, or None when no city is loaded yet."""
    return session.scalars(select(City).where(City.kind == HOME).order_by(City.id).limit(1)).first()


def neighbour_cities(session: Session) -> Sequence[City]:
    """Neighbouring cities, nearest first."""
    return session.scalars(
        select(City).where(City.kind == NEIGHBOUR).order_by(City.distance_km, City.id)
    ).all()


def districts_with_counts(session: Session, city_id: int) -> list[tuple[District, int, int]]:
    """The city's districts with their numbers of subdistricts and communities."""
    subdistricts = (
        select(Subdistrict.district_id, func.count().label("n"))
        .group_by(Subdistrict.district_id)
        .subquery()
    )
    communities = (
        select(Subdistrict.district_id, func.count(Community.id).label("n"))
        .join(Community, Community.subdistrict_id == Subdistrict.id)
        .group_by(Subdistrict.district_id)
        .subquery()
    )
    rows = session.execute(
        select(
            District,
            func.coalesce(subdistricts.c.n, 0),
            func.coalesce(communities.c.n, 0),
        )
        .outerjoin(subdistricts, subdistricts.c.district_id == District.id)
        .outerjoin(communities, communities.c.district_id == District.id)
        .where(District.city_id == city_id)
        .order_by(District.code)
    ).all()
    return [(d, int(s), int(c)) for d, s, c in rows]


def district(session: Session, district_id: int) -> District | None:
    """A district with its city."""
    return session.scalars(
        select(District).options(joinedload(District.city)).where(District.id == district_id)
    ).first()


def subdistricts_with_counts(
    session: Session, district_id: int
) -> list[tuple[Subdistrict, int]]:
    """A district's subdistricts with their numbers of communities."""
    communities = (
        select(Community.subdistrict_id, func.count().label("n"))
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Subdistrict.district_id == district_id)
        .group_by(Community.subdistrict_id)
        .subquery()
    )
    rows = session.execute(
        select(Subdistrict, func.coalesce(communities.c.n, 0))
        .outerjoin(communities, communities.c.subdistrict_id == Subdistrict.id)
        .where(Subdistrict.district_id == district_id)
        .order_by(Subdistrict.code)
    ).all()
    return [(s, int(n)) for s, n in rows]


def subdistrict(session: Session, subdistrict_id: int) -> Subdistrict | None:
    """A subdistrict with its district and city."""
    return session.scalars(
        select(Subdistrict)
        .options(joinedload(Subdistrict.district).joinedload(District.city))
        .where(Subdistrict.id == subdistrict_id)
    ).first()


def communities_with_counts(
    session: Session, subdistrict_id: int
) -> list[tuple[Community, int]]:
    """A subdistrict's communities with their numbers of buildings."""
    buildings = (
        select(Building.community_id, func.count().label("n"))
        .join(Community, Community.id == Building.community_id)
        .where(Community.subdistrict_id == subdistrict_id)
        .group_by(Building.community_id)
        .subquery()
    )
    rows = session.execute(
        select(Community, func.coalesce(buildings.c.n, 0))
        .outerjoin(buildings, buildings.c.community_id == Community.id)
        .where(Community.subdistrict_id == subdistrict_id)
        .order_by(Community.code)
    ).all()
    return [(c, int(n)) for c, n in rows]


def community(session: Session, community_id: int) -> Community | None:
    """A community with its subdistrict, district and city."""
    return session.scalars(
        select(Community)
        .options(
            joinedload(Community.subdistrict)
            .joinedload(Subdistrict.district)
            .joinedload(District.city)
        )
        .where(Community.id == community_id)
    ).first()


def buildings_with_counts(
    session: Session, community_id: int
) -> list[tuple[Building, int, int]]:
    """A community's buildings with their numbers of units and flats."""
    units = (
        select(Unit.building_id, func.count().label("n"))
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == community_id)
        .group_by(Unit.building_id)
        .subquery()
    )
    # Walk down from the community's buildings so every step is an index lookup.
    flats = (
        select(Unit.building_id, func.count().label("n"))
        .select_from(Building)
        .join(Unit, Unit.building_id == Building.id)
        .join(Address, Address.unit_id == Unit.id)
        .where(Building.community_id == community_id)
        .group_by(Unit.building_id)
        .subquery()
    )
    rows = session.execute(
        select(Building, func.coalesce(units.c.n, 0), func.coalesce(flats.c.n, 0))
        .outerjoin(units, units.c.building_id == Building.id)
        .outerjoin(flats, flats.c.building_id == Building.id)
        .where(Building.community_id == community_id)
        .order_by(Building.number)
    ).all()
    return [(b, int(u), int(f)) for b, u, f in rows]


def building(session: Session, building_id: int) -> Building | None:
    """A building with its community up to the city, and its units and flats."""
    return session.scalars(
        select(Building)
        .options(
            joinedload(Building.community)
            .joinedload(Community.subdistrict)
            .joinedload(Subdistrict.district)
            .joinedload(District.city),
            selectinload(Building.units).selectinload(Unit.addresses),
        )
        .where(Building.id == building_id)
    ).first()


def addresses(session: Session, address_ids: Sequence[int]) -> dict[int, Address]:
    """Addresses by id, each with its unit, building and every area above it."""
    if not address_ids:
        return {}
    rows = session.scalars(
        select(Address)
        .options(
            joinedload(Address.unit)
            .joinedload(Unit.building)
            .joinedload(Building.community)
            .joinedload(Community.subdistrict)
            .joinedload(Subdistrict.district)
            .joinedload(District.city)
        )
        .where(Address.id.in_(sorted(set(address_ids))))
    ).all()
    return {a.id: a for a in rows}


def community_ids_within(
    session: Session,
    *,
    district_ids: Sequence[int] = (),
    subdistrict_ids: Sequence[int] = (),
    community_ids: Sequence[int] = (),
) -> list[int]:
    """Ids of the communities inside any of the given districts, subdistricts or communities."""
    conditions = []
    if district_ids:
        conditions.append(Subdistrict.district_id.in_(sorted(district_ids)))
    if subdistrict_ids:
        conditions.append(Community.subdistrict_id.in_(sorted(subdistrict_ids)))
    if community_ids:
        conditions.append(Community.id.in_(sorted(community_ids)))
    if not conditions:
        return []
    return list(session.scalars(
        select(Community.id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(or_(*conditions))
        .order_by(Community.id)
    ))


def community_points(session: Session, community_ids: Sequence[int]
                     ) -> list[tuple[int, str, float, float]]:
    """(id, name, latitude, longitude) of each community's centre."""
    if not community_ids:
        return []
    rows = session.execute(select(Community.id, Community.name, Community.centroid_lat,
                                  Community.centroid_lon)
                           .where(Community.id.in_(sorted(set(community_ids))))
                           .order_by(Community.id)).all()
    return [(int(i), str(n), float(lat), float(lon)) for i, n, lat, lon in rows]
