"""Queries of campaigns, and the counts a feasibility check needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from epidesk.geography.models import Community, District, Subdistrict
from epidesk.people.models import Resident
from epidesk.vaccination.models import Appointment, Campaign, Dose, Hold


def campaign(session: Session, campaign_id: int) -> Campaign | None:
    """A campaign by id."""
    return session.get(Campaign, campaign_id)


def campaigns(session: Session, *, district_ids: Sequence[int] | None, limit: int
              ) -> Sequence[Campaign]:
    """Accepted campaigns, latest window first."""
    query = select(Campaign).order_by(Campaign.first_day.desc(), Campaign.id.desc()).limit(limit)
    if district_ids is not None:
        query = query.where(Campaign.district_id.in_(district_ids))
    return session.scalars(query).all()


def district_points(session: Session) -> dict[int, tuple[int, float, float]]:
    """Every district's city and centroid."""
    return {i: (c, lat, lon) for i, c, lat, lon in session.execute(
        select(District.id, District.city_id, District.centroid_lat, District.centroid_lon))}


def booked(session: Session, site_ids: Sequence[int], first: date, last: date
           ) -> dict[int, int]:
    """Appointments still booked at these sites in the window, by site."""
    return {s: int(n) for s, n in session.execute(
        select(Appointment.site_id, func.count()).where(
            Appointment.site_id.in_(site_ids), Appointment.day >= first,
            Appointment.day <= last, Appointment.status == "booked")
        .group_by(Appointment.site_id))}


def eligible(session: Session, *, district_id: int, dose_number: int, min_birth: date,
             high_risk_min_birth: date | None, last_dose_before: date | None,
             on: date) -> int:
    """Residents of the district who may have dose `dose_number` by day `on`: exactly
    `dose_number - 1` doses, the last one on or before `last_dose_before`, born on or
    before `min_birth` (or, in a high-risk group, `high_risk_min_birth`), and no
    contraindication or deferral in force on `on`."""
    given = (select(func.count()).where(Dose.resident_id == Resident.id)
             .correlate(Resident).scalar_subquery())
    age = Resident.birth_date <= min_birth
    if high_risk_min_birth is not None:
        age = or_(age, and_(Resident.chronic_medication.is_(True),
                            Resident.birth_date <= high_risk_min_birth))
    held = exists().where(Hold.resident_id == Resident.id,
                          or_(Hold.until.is_(None), Hold.until >= on))
    query = (select(func.count()).select_from(Resident)
             .join(Community, Community.id == Resident.community_id)
             .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
             .where(Subdistrict.district_id == district_id, Resident.merged_into_id.is_(None),
                    age, ~held, given == dose_number - 1))
    if last_dose_before is not None:
        recent = exists().where(Dose.resident_id == Resident.id,
                                Dose.dose_number == dose_number - 1,
                                Dose.day <= last_dose_before)
        query = query.where(recent)
    return int(session.scalar(query) or 0)
