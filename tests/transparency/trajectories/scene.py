"""The tiny city with cases that stayed at places while infectious, for trajectories.

Wang Xiulan (Willow Court building 1) and Li Na (same building) are asymptomatic cases
sampled on 2026-11-20 and isolated on 2026-11-21: their windows run from 2026-11-16 to
the end of 2026-11-21, city time. Wang Fang (Pine Court) has the same dates. Wang
Xiulan was at Willow Market on 2026-11-19 from 10:00 to 11:00, Chen Jing from 10:30 to
11:30; nobody has been traced yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.tracing.models import Contact, VenueVisit
from epidesk.zoning.models import Zone
from tests.factories import TinyCity, tiny_city
from tests.tracing.helpers import add_case

CITY = ZoneInfo("Asia/Shanghai")
SAMPLED = date(2026, 11, 20)
ISOLATED = date(2026, 11, 21)
# The publication day the tests publish for.
DAY = date(2026, 11, 22)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026, city time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=CITY)


@dataclass
class Trajectories:
    """The city, its cases, and ways to add what the tests vary."""

    city: TinyCity
    cases: dict[str, CaseEpisode]
    session: Session

    def id(self, key: str) -> int:
        """A resident's id."""
        return self.city.residents[key].id

    @property
    def market(self) -> int:
        """Willow Market's id."""
        assert self.city.venue is not None
        return self.city.venue.id

    def visit(self, key: str, start: datetime, end: datetime, venue: int | None = None) -> None:
        """A logged visit."""
        self.session.add(VenueVisit(resident_id=self.id(key), venue_id=venue or self.market,
                                    started_at=start, ended_at=end, log_id=None))
        self.session.flush()

    def contact(self, key: str, *, active: bool = True) -> None:
        """Tracing classified this resident as a close contact."""
        moment = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
        self.session.add(Contact(
            resident_id=self.id(key), tier="close", status="active" if active else "withdrawn",
            identified_at=moment, updated_at=moment, isolated_at=moment,
            first_exposure_at=moment, last_exposure_at=moment, last_exposure_on=ISOLATED,
            preset="cn-9th-2022", withdrawn_at=None if active else moment))
        self.session.flush()

    def zone(self, kind: str, *, building: int | None = None, community: int | None = None,
             preset: str = "cn-9th-2022") -> Zone:
        """A zone in force over a building (household, unit, building) or a compound."""
        district = self.city.districts[0].id
        ref = building if building is not None else community
        z = Zone(preset=preset, area_key=f"{kind}:{ref}", area_kind=kind,
                 drawn_key=f"{kind}:{ref}", district_id=district, subdistrict_id=None,
                 community_id=community, building_id=building, label=f"{kind} {ref}",
                 level="high", formerly=None, status="active", rule="test", origin="rule",
                 residents=3, households=1, opened_on=SAMPLED, level_since=SAMPLED,
                 last_infection_on=SAMPLED, planned_end=SAMPLED + timedelta(days=7),
                 lifted_on=None, updated_at=datetime(2026, 11, 21, tzinfo=UTC))
        self.session.add(z)
        self.session.flush()
        return z


def trajectories(session: Session, *, code: str = "T") -> Trajectories:
    """The scene (see the module's text)."""
    city = tiny_city(session, code=code)
    cases = {key: add_case(session, city, key, sampling=SAMPLED, isolation=ISOLATED)
             for key in ("wang_xiulan", "li_na", "wang_fang")}
    scene = Trajectories(city, cases, session)
    scene.visit("wang_xiulan", at(19, 10), at(19, 11))
    scene.visit("chen_jing", at(19, 10, 30), at(19, 11, 30))
    return scene
