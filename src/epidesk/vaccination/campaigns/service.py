"""Use cases of campaigns: check a target against the district's capacity, stock and
eligible people, and accept it only when it is feasible."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.vaccination.campaigns import engine, repository
from epidesk.vaccination.campaigns.engine import Assessment, SiteInput
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.models import Campaign
from epidesk.vaccination.sites import repository as sites
from epidesk.vaccination.sites import service as site_stock

MAX_WINDOW_DAYS = 92
MAX_TARGET = 10_000_000
NEIGHBOURS = 3  # districts asked to lend sites, nearest first


def site_inputs(session: Session, district_id: int, first: date, last: date
                ) -> list[SiteInput]:
    """The district's active sites as the check sees them."""
    found = sites.sites(session, district_ids=[district_id], limit=10_000)
    ids = [s.id for s in found]
    if not ids:
        return []
    hours: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for h in sites.hours(session, ids):
        hours[h.site_id][h.weekday] = (h.opens, h.closes)
    shifts: dict[int, dict[date, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for s in sites.shifts(session, ids, first, last):
        shifts[s.site_id][s.day].append((s.starts, s.ends))
    stock: dict[int, int] = defaultdict(int)
    for lot in site_stock.stock(session, ids):  # the sites' depots, in the movement log
        if lot.expiry >= first:
            stock[lot.site_id] += lot.doses
    booked = repository.booked(session, ids, first, last)
    return [SiteInput(site_id=s.id, code=s.code, name=s.name, district_id=s.district_id,
                      stations=s.stations, rate=s.doses_per_station_hour,
                      weekly_hours=hours[s.id], shifts=dict(shifts[s.id]), stock=stock[s.id],
                      committed=booked.get(s.id, 0)) for s in found]


def eligible_people(session: Session, *, district_id: int, dose_number: int | None,
                    on: date) -> int:
    """Residents of the district who may have the dose (any next dose when None) by `on`."""
    schedule = next(iter(catalogue.products().values()))
    numbers = [dose_number] if dose_number else [d.number for d in schedule.doses]
    total = 0
    for number in numbers:
        rule = schedule.dose(number)
        if rule is None:
            continue
        general = rule.min_age_or_high_risk if rule.min_age_or_high_risk is not None \
            else rule.min_age
        total += repository.eligible(
            session, district_id=district_id, dose_number=number,
            min_birth=_born_by(on, general),
            high_risk_min_birth=_born_by(on, rule.min_age)
            if rule.min_age_or_high_risk is not None else None,
            last_dose_before=on - timedelta(days=rule.min_interval_days)
            if rule.min_interval_days else None, on=on)
    return total


def _born_by(day: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    dx = (a[1] - b[1]) * 111.32 * math.cos(lat)
    dy = (a[0] - b[0]) * 110.57
    return math.hypot(dx, dy)


def _check_target(*, first_day: date, last_day: date, target: int,
                  dose_number: int | None) -> None:
    if last_day < first_day:
        raise ValidationFailedError("the window ends before it begins", field="last_day")
    if (last_day - first_day).days + 1 > MAX_WINDOW_DAYS:
        raise ValidationFailedError(f"a window is at most {MAX_WINDOW_DAYS} days",
                                    field="last_day")
    if not 1 <= target <= MAX_TARGET:
        raise ValidationFailedError(f"the target is 1 to {MAX_TARGET:,} doses",
                                    field="target_doses")
    schedule = next(iter(catalogue.products().values()))
    if dose_number is not None and schedule.dose(dose_number) is None:
        raise ValidationFailedError(f"no dose {dose_number} in the schedule",
                                    field="dose_number")


def check(session: Session, *, district_id: int, first_day: date, last_day: date,
          target: int, dose_number: int | None = None) -> Assessment:
    """Whether the district can give `target` doses in the window; what falls short and
    what would make it feasible."""
    _check_target(first_day=first_day, last_day=last_day, target=target,
                  dose_number=dose_number)
    points = repository.district_points(session)
    if district_id not in points:
        raise NotFoundError(f"no district {district_id}")
    city, lat, lon = points[district_id]
    nearest = sorted(((d, _distance_km((lat, lon), (p[1], p[2])))
                      for d, p in points.items() if d != district_id and p[0] == city),
                     key=lambda pair: pair[1])[:NEIGHBOURS]
    return engine.assess(
        district_id=district_id, first_day=first_day, last_day=last_day, target=target,
        sites=site_inputs(session, district_id, first_day, last_day),
        eligible=eligible_people(session, district_id=district_id, dose_number=dose_number,
                                 on=last_day),
        neighbours=[(d, km, site_inputs(session, d, first_day, last_day))
                    for d, km in nearest])


class InfeasibleTargetError(ConflictError):
    """A target the district cannot meet: the problem carries the whole check."""

    title = "Target not feasible"


def accept(session: Session, *, name: str, district_id: int, first_day: date, last_day: date,
           target: int, dose_number: int | None, actor: str) -> tuple[Campaign, Assessment]:
    """Record a campaign after its check; an infeasible target is refused with the check
    (by how much, and what would make it feasible) and nothing is written."""
    if not name.strip():
        raise ValidationFailedError("a campaign needs a name", field="name")
    found = check(session, district_id=district_id, first_day=first_day, last_day=last_day,
                  target=target, dose_number=dose_number)
    if not found.feasible:
        raise InfeasibleTargetError(
            f"the district's sites can give {found.achievable:,} of {target:,} doses in "
            f"{found.days} days: {found.shortfall:,} short ({', '.join(found.limits)})",
            assessment=found.as_dict())
    campaign = Campaign(name=name.strip(), district_id=district_id, first_day=first_day,
                        last_day=last_day, target_doses=target, dose_number=dose_number,
                        assessment=json.dumps(found.as_dict()), created_by=actor,
                        created_at=clock.now())
    session.add(campaign)
    session.flush()
    return campaign, found


def list_campaigns(session: Session, *, district_ids: Sequence[int] | None,
                   limit: int = 100) -> Sequence[Campaign]:
    """Accepted campaigns of these districts (all when None)."""
    return repository.campaigns(session, district_ids=district_ids, limit=limit)
