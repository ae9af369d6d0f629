"""A traced tiny city for tests: one case, and contacts of every kind around it.

`scene(session)` adds the tiny city and, around the case of Wang Xiulan (asymptomatic,
sampled 2026-11-20, isolated 2026-11-21, so her window runs from 2026-11-16 to the end
of 2026-11-21, city time):

- household: Wang Xiuying and Wang Wei;
- work group: Li Na (same dyeing shift), whose husband Li Qiang is then sub-close;
- venue: Chen Jing, 30 minutes together at Willow Market; her husband Chen Jie is then
  sub-close; Zhao Lei, 10 minutes only, is nobody's contact;
- recorded exposure: Wang Fang (Pine Court) cared for her.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases import rules as case_rules
from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.people.models import WorkGroupMembership
from epidesk.policy.schemas import Preset
from epidesk.policy.service import load_preset
from epidesk.tracing.exposures import service as exposures_service
from epidesk.tracing.models import Contact, ContactEvidence, VenueVisit, VisitLog
from epidesk.tracing.visits import service as visits_service
from tests.factories import TinyCity, tiny_city

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# The default city zone (UTC+8 all year).
CITY = ZoneInfo("Asia/Shanghai")
PRESET = "cn-9th-2022"


def preset(name: str = PRESET) -> Preset:
    """A shipped preset."""
    return load_preset(name)


def add_case(session: Session, city: TinyCity, key: str, *, sampling: date,
             isolation: date | None, onset: date | None = None) -> CaseEpisode:
    """An active case of a resident of the tiny city."""
    person = city.residents[key]
    community = next(c for c in city.communities if c.id == person.community_id)
    district = next(s.district_id for s in city.subdistricts if s.id == community.subdistrict_id)
    case = CaseEpisode(
        resident_id=person.id, classification="confirmed" if onset else "asymptomatic",
        status="active", sampling_date=sampling, onset_date=onset, isolation_date=isolation,
        reported_on=sampling, diagnosed_at=NOW, recorded_at=NOW,
        asymptomatic_on=None if onset else sampling, confirmed_on=sampling if onset else None,
        district_id=district, community_id=community.id, imported=False)
    session.add(case)
    session.flush()
    session.add(CaseEvent(episode_id=case.id, at=NOW, kind=case_rules.REPORTED, actor="test"))
    session.flush()
    return case


def withdraw(session: Session, case: CaseEpisode) -> None:
    """Withdraw a case as the case registry does."""
    case.status = "withdrawn"
    case.withdrawn_at = NOW
    case.withdrawal_reason = "false positive"
    session.add(CaseEvent(episode_id=case.id, at=NOW, kind=case_rules.WITHDRAWAL, actor="test",
                          note="false positive"))
    session.flush()


def visit_csv(rows: Sequence[Sequence[object]],
              columns: Sequence[str] = ("resident_id", "venue_id", "started_at", "ended_at")
              ) -> bytes:
    """A visit log written with the csv module."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode()


@dataclass
class Scene:
    """The tiny city, the case, and how to reach people."""

    city: TinyCity
    case: CaseEpisode

    def id(self, key: str) -> int:
        """A resident's id."""
        return self.city.residents[key].id


def scene_visits(city: TinyCity) -> bytes:
    """The visit log of the scene."""
    r = city.residents
    venue = city.venue.id if city.venue else 0
    return visit_csv([
        (r["wang_xiulan"].id, venue, "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00"),
        (r["chen_jing"].id, venue, "2026-11-19T10:30:00+08:00", "2026-11-19T11:30:00+08:00"),
        (r["zhao_lei"].id, venue, "2026-11-19T10:50:00+08:00", "2026-11-19T12:00:00+08:00"),
    ])


def scene(session: Session, *, code: str = "T") -> Scene:
    """The tiny city with the case and its exposure data (visits, work, care)."""
    city = tiny_city(session, code=code)
    assert city.work_group is not None
    session.add(WorkGroupMembership(work_group_id=city.work_group.id,
                                    resident_id=city.residents["li_na"].id,
                                    start_date=date(2024, 3, 1), end_date=None))
    session.flush()
    case = add_case(session, city, "wang_xiulan", sampling=date(2026, 11, 20),
                    isolation=date(2026, 11, 21))
    result = visits_service.import_visits(session, content=scene_visits(city), filename="scene.csv",
                                   received_by="investigator", now=NOW)
    assert result.accepted, result.report.summary()
    exposures_service.record_exposure(session, resident_a=city.residents["wang_xiulan"].id,
                            resident_b=city.residents["wang_fang"].id,
                            at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC), setting="carer",
                            place="Pine Court", recorded_by="investigator", preset=preset(),
                            now=NOW)
    return Scene(city=city, case=case)


def table_counts(session: Session) -> dict[str, int]:
    """Rows in the tracing tables the tests check."""
    return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (("visit_log", VisitLog), ("venue_visit", VenueVisit),
                                ("contact", Contact), ("contact_evidence", ContactEvidence))}
