"""FastAPI dependencies of the cases domain, shared by its api and pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.cases import service
from epidesk.cases.rules import ACTIVE
from epidesk.cases.schemas import case_out
from epidesk.geography import service as places
from epidesk.kit.access import CASES_WRITE, MEDICAL_READ, AreaPath, Caller, outside, shows
from epidesk.kit.i18n import _
from epidesk.kit.links import Link, links_from
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
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
