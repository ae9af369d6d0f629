"""Queries across the vaccination tables: coverage by district and age band."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from epidesk.geography.models import Community, District, Subdistrict
from epidesk.people.models import Resident
from epidesk.vaccination.models import Dose, Site
from epidesk.vaccination.rules import AGE_BANDS

DOSES = 4


def born_by(day: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def coverage(session: Session, *, day: date, district_ids: Sequence[int] | None = None
             ) -> list[tuple[int, str, str, int, tuple[int, ...]]]:
    """(district id, district code, age band, residents, residents with at least dose
    1..4 by `day`) per district and age band: counts only, no person."""
    given = (select(Dose.resident_id, func.max(Dose.dose_number).label("n"))
             .where(Dose.day <= day).group_by(Dose.resident_id).subquery())
    band = case(*[(Resident.birth_date > born_by(day, low), literal(f"<{low}"))
                  if i == 0 else (Resident.birth_date > born_by(day, low),
                                  literal(AGE_BANDS[i - 1][0]))
                  for i, (_, low, _high) in enumerate(AGE_BANDS)],
                else_=literal(AGE_BANDS[-1][0])).label("band")
    n = func.coalesce(given.c.n, 0)
    query = (select(Subdistrict.district_id, District.code, band, func.count(),
                    *[func.sum(case((n >= k, 1), else_=0)) for k in range(1, DOSES + 1)])
             .select_from(Resident)
             .join(Community, Community.id == Resident.community_id)
             .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
             .join(District, District.id == Subdistrict.district_id)
             .outerjoin(given, given.c.resident_id == Resident.id)
             .where(Resident.merged_into_id.is_(None), Resident.birth_date <= day)
             .group_by(Subdistrict.district_id, District.code, band)
             .order_by(Subdistrict.district_id, band))
    if district_ids is not None:
        query = query.where(Subdistrict.district_id.in_(district_ids))
    out = []
    for district_id, code, name, residents, *counts in session.execute(query):
        if name.startswith("<"):
            continue  # too young for any vaccine
        out.append((district_id, code, name, int(residents), tuple(int(c or 0) for c in counts)))
    return out


def doses_on(session: Session, day: date, district_ids: Sequence[int] | None) -> int:
    """Doses given on a day at sites of these districts (all when None)."""
    query = select(func.count()).select_from(Dose).join(Site, Site.id == Dose.site_id).where(
        Dose.day == day)
    if district_ids is not None:
        query = query.where(Site.district_id.in_(district_ids))
    return int(session.scalar(query) or 0)
