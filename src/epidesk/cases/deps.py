"""FastAPI dependencies of the cases domain, shared by its api and pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.cases import service
from epidesk.cases.rules import ACTIVE, RECLASSIFIED, REPORTED, WITHDRAWAL
from epidesk.cases.schemas import case_out
from epidesk.geography import service as places
from epidesk.kit import clock
from epidesk.kit.access import CASES_WRITE, MEDICAL_READ, AreaPath, Caller, outside, shows
from epidesk.kit.i18n import _, _l, ngettext
from epidesk.kit.links import Link, links_from
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable, RevisionNote
from epidesk.kit.tiles import Tile
from epidesk.kit.web import require

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
CaseWriter = Annotated[Caller, Depends(require(CASES_WRITE))]


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: every case episode of the resident, newest first."""
    if not caller.may(MEDICAL_READ, area):
        return None
    episodes = service.resident_cases(session, resident_id=resident_id)
    audit("read", "resident_cases", resident_id, person_id=resident_id)
    # Every episode is the same resident's: look them up once.
    resident = service.case_record(session, case_id=episodes[0].id).resident if episodes else None
    views = [case_out(e, resident) for e in episodes if resident is not None]
    # What other domains made of each case: its contacts.
    links = links_from(session, caller=caller, kind="case", ids=[v.id for v in views])
    active = [v for v in views if v.status == ACTIVE]
    summary = (f"{len(views)} case episodes" if not active else
               f"an active {active[0].classification} case (case {active[0].id})")
    return Panel(key="cases", title=_("Cases"), template="cases/_person_panel.html",
                 data={"cases": [{**v.model_dump(mode="json"),
                                  "links": [link.as_json() for link in links.get(v.id, [])]}
                                 for v in views]},
                 view=[(v, links.get(v.id, [])) for v in views], summary=summary)


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """The command centre: the epidemic curve (by report and by sampling day) and the
    newest day's cases on a map, for the reader's area."""
    if not caller.can(MEDICAL_READ):
        return []
    area = caller.area_for(MEDICAL_READ)
    curve = service.epidemic_curve(session, last=today, area=area)
    points = places.community_points(session, community_ids=sorted(curve.by_community))
    return [
        Tile(key="cases.curve", title=_("New cases per day"), template="cases/_curve_tile.html",
             link="/cases/bulletin", data={
                 "days": [d.isoformat() for d in curve.days], "reported": curve.reported,
                 "sampled": curve.sampled, "confirmed": curve.confirmed,
                 "asymptomatic": curve.asymptomatic,
                 "area": "the whole city" if area.everywhere else "your area"}),
        Tile(key="cases.map", title=_("New cases on %(day)s", day=today.isoformat()),
             template="cases/_map_tile.html", link="/cases", data={
                 "day": today.isoformat(),
                 "communities": [{"id": i, "name": name, "lat": lat, "lon": lon,
                                  "cases": curve.by_community[i]}
                                 for i, name, lat, lon in points]}),
    ]


def latest_data_day(session: Session, *, up_to: date) -> date | None:
    """The pages that open on the latest day with data: the latest day cases were reported."""
    return service.latest_report_day(session, up_to=up_to)


def record_links(session: Session, *, caller: Caller, kind: str, ids: Sequence[int]
                 ) -> dict[int, list[Link]]:
    """Links from tubes to the cases their positive samples produced: named inside the
    caller's area, "a case outside your area" beyond it."""
    if kind != "tube" or not ids or not caller.can(MEDICAL_READ):
        return {}
    out: dict[int, list[Link]] = {}
    for tube_id, episode, path in service.cases_of_tubes(session, tube_ids=ids):
        if shows(caller, MEDICAL_READ, path):
            link = Link(kind="case", id=episode.id, label=_("case %(id)d", id=episode.id),
                        href=f"/cases/{episode.id}",
                        note=f"{episode.classification}, {episode.status}",
                        people=(episode.resident_id,))
        else:
            link = Link(kind="case", label=outside("case"))
        out.setdefault(tube_id, []).append(link)
    return out


# Two records of one person merged: the merged one's case episodes become the survivor's.
person_merge = MergePart(covers=("case_episode.resident_id",),
                         apply=service.merge_person_rows)


# ------------------------------------------------------------------ public figures

CITY_TABLE = "cases_city_daily"
DISTRICT_TABLE = "cases_by_district_daily"
_DAY = Column("day", "day", _l("Day"), _l("The city's calendar day (ISO 8601)."))
_NEW = Column("new_cases", "count", _l("New cases by report day"), _l(
    "Cases (confirmed and asymptomatic) first reported on this day, as the records stand "
    "now: a withdrawn case is no longer counted."))
_CITY_COLUMNS = (
    _DAY, _NEW,
    Column("new_cases_by_sampling_day", "count", _l("New cases by sampling day"), _l(
        "Cases whose first positive sample was taken on this day. A recent day keeps "
        "growing while later results arrive.")),
    Column("newly_confirmed", "count", _l("Confirmed on this day"), _l(
        "Cases confirmed on this day, asymptomatic infections reclassified as confirmed "
        "included.")),
)
_DISTRICT_COLUMNS = (
    _DAY,
    Column("district_code", "area", _l("District code"), _l("The district's code.")),
    Column("district_name", "area", _l("District"), _l("The district's name.")),
    Column("district_name_local", "area", _l("District (local name)"),
           _l("The district's name in Chinese.")),
    _NEW,
)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """New cases per day for the whole city (by report day, by sampling day, confirmed)
    and by district of residence (by report day), as the records stand now."""
    reported, sampled, confirmed = service.public_counts(session, up_to=day)
    starts = [d for d, _i, _n in reported] + [d for d, _n in sampled if d <= day]
    days = _days(min(starts), day) if starts else []
    by_report: Counter[date] = Counter()
    by_district: Counter[tuple[date, int]] = Counter()
    for d, district, n in reported:
        by_report[d] += n
        by_district[(d, district)] += n
    by_sampling = Counter(dict(sampled))
    by_confirmed = Counter(dict(confirmed))
    city = [(d, by_report[d], by_sampling[d], by_confirmed[d]) for d in days]
    districts = service.district_keys(session)
    first_report = min((d for d, _i, _n in reported), default=None)
    local = [(d, code, name, name_local, by_district[(d, i)])
             for d in days if first_report is not None and d >= first_report
             for i, code, name, name_local in districts]
    return [
        PublicTable(name=CITY_TABLE, title=_l("New cases in the city"), description=_l(
            "New cases per day in the whole city, by the day they were reported and by the "
            "day their positive sample was taken."), columns=_CITY_COLUMNS, rows=city),
        PublicTable(name=DISTRICT_TABLE, title=_l("New cases by district"), description=_l(
            "New cases per day by the district the case lived in when reported, by report "
            "day."), columns=_DISTRICT_COLUMNS, rows=local, level="district",
            totals_of=CITY_TABLE),
    ]


def _withdrawn(n: int) -> Callable[[], str]:
    return lambda: ngettext("%(num)d case withdrawn (a result corrected or a lab batch "
                            "withdrawn)", "%(num)d cases withdrawn (a result corrected or a "
                            "lab batch withdrawn)", n)


def _reclassified(n: int) -> Callable[[], str]:
    return lambda: ngettext("%(num)d asymptomatic infection reclassified as confirmed",
                            "%(num)d asymptomatic infections reclassified as confirmed", n)


def _late(n: int) -> Callable[[], str]:
    return lambda: ngettext("%(num)d case reported later for this day",
                            "%(num)d cases reported later for this day", n)


def public_revisions(session: Session, *, since: datetime, until: datetime
                     ) -> list[RevisionNote]:
    """Why past days' case figures moved between two moments: withdrawals,
    reclassifications, and results that arrived after their day."""
    counts: Counter[tuple[str, str, date]] = Counter()
    zone = clock.city_zone()
    for kind, reported_on, sampled_on, confirmed_on, at in service.events_between(
            session, since=since, until=until):
        when = clock.local_day(clock.aware(at), zone)
        touched: set[tuple[str, str, date]] = set()
        if kind == WITHDRAWAL:
            touched = {("withdrawn", table, d) for table, d in (
                (DISTRICT_TABLE, reported_on), (CITY_TABLE, reported_on),
                (CITY_TABLE, sampled_on), (CITY_TABLE, confirmed_on)) if d is not None}
        elif kind == RECLASSIFIED and confirmed_on is not None:
            touched = {("reclassified", CITY_TABLE, confirmed_on)}
        elif kind == REPORTED:
            touched = {("late", table, d) for table, d in (
                (CITY_TABLE, sampled_on), (CITY_TABLE, reported_on),
                (DISTRICT_TABLE, reported_on)) if d < when}
        counts.update(touched)
    makers = {"withdrawn": _withdrawn, "reclassified": _reclassified, "late": _late}
    return [RevisionNote(table=table, day=d, reason=makers[why](n))
            for (why, table, d), n in sorted(counts.items(), key=lambda item: item[0])]
