"""Can one case be singled out from what is published for a day: trajectories, the case
counts by district and the zone list, together?

The attacker links a home to the places its resident went, for one person, with
certainty. Three deductions, each sound when its premise holds:

1. entries that carry the same case label are one person's (case-linked lists);
2. a district whose published case count is exactly 1, a zone there drawn by exactly one
   case, and entries that say they rest on one case of that district are one person's;
3. when the city's case count behind the trajectories is exactly 1 (the city total is
   never suppressed), every entry is that person's.

Against a naive publication (case-linked lists, exact counts) the attack succeeds;
against the real one (entries merged per place and window, with no label and no count,
district counts below 5 shown as "<5" by the publication step itself, and no
trajectories while fewer than three cases stand behind them) it fails.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.geography.models import Address, Building, District, Unit
from epidesk.people.models import Household, HouseholdMembership, Resident, Venue
from epidesk.transparency import service as publication
from epidesk.transparency.trajectories import service
from epidesk.zoning.lookup import service as lookup
from epidesk.zoning.models import ZoneTrigger
from tests.factories import square
from tests.tracing.helpers import add_case
from tests.transparency.published import published_for
from tests.transparency.trajectories.scene import (
    DAY,
    ISOLATED,
    SAMPLED,
    Trajectories,
    at,
    trajectories,
)

SMALL = 5  # the publication's small-count threshold: 1-4 shown as "<5"
NOON = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@dataclass
class Published:
    """Everything published for a day, as an outsider reads it."""

    trajectories: list[dict[str, Any]]
    counts_by_district: dict[int, int | str]
    city_count: int
    zones: list[dict[str, Any]]


@dataclass(frozen=True)
class Linkage:
    """One person singled out: where they live and where they went."""

    home: str
    places: frozenset[str] = field(default_factory=frozenset)


def _district_counts(session: Session, *, suppress: bool) -> tuple[dict[int, int | str], int]:
    counts = Counter(_case_districts(session))
    total = sum(counts.values())
    shown: dict[int, int | str] = {
        d: (f"<{SMALL}" if suppress and 0 < n < SMALL else n) for d, n in counts.items()}
    return shown, total


def _case_districts(session: Session) -> list[int]:
    out = []
    for row in cases.active_episode_rows(session):
        episode = cases.episode_by_id(session, row[0])
        assert episode is not None
        out.append(episode.district_id)
    return out


def _zones(session: Session) -> list[dict[str, Any]]:
    return [{"place": z.place, "district_id": z.district_id, "cases": z.cases}
            for z in lookup.public_zones(session, lang="en")]


def published_for_day(session: Session, day: date, *, minimum: int | None = None
                      ) -> Published:
    """What the publication shows for a day: the case tables as the publication step
    suppressed them (read back from its open-data files), the zone list, and the day's
    trajectories."""
    publication.publish(session, day=day, actor="test", now=NOON)
    files = published_for(session, day)
    codes = {code: i for i, code in session.execute(select(District.id, District.code))}
    counts: dict[int, int | str] = {
        codes[row["district_code"]]: (row["new_cases"] if row["new_cases"] is not None
                                      else row["new_cases_note"])
        for row in _rows_covering(files.tables, "cases_by_district", SAMPLED)}
    city = _rows_covering(files.tables, "cases_city", SAMPLED)[0]["new_cases"]
    computed = service.compute(session, day=day, minimum=minimum)
    entries = [e.row() for e in computed.entries]
    return Published(entries, counts, int(city), _zones(session))


def _rows_covering(tables: dict[str, dict[str, Any]], name: str, day: date
                   ) -> list[dict[str, Any]]:
    """The rows of a published table (daily, or weekly where the publication chose that)
    whose day or week holds `day`."""
    if f"{name}_daily" in tables:
        return [r for r in tables[f"{name}_daily"]["rows"] if r["day"] == day.isoformat()]
    return [r for r in tables[f"{name}_weekly"]["rows"]
            if date.fromisoformat(r["week_start"]) <= day
            < date.fromisoformat(r["week_start"]) + timedelta(days=7)]


def naive_for_day(session: Session, day: date) -> Published:
    """A publication as some cities made them: each case's places under its own label,
    with the case's district, and exact counts everywhere."""
    counts, total = _district_counts(session, suppress=False)
    entries: list[dict[str, Any]] = []
    for n, row in enumerate(cases.active_episode_rows(session), 1):
        episode = cases.episode_by_id(session, row[0])
        assert episode is not None
        alone = _alone(session, day, row[1])
        entries += [{**e.row(), "case": f"case {n}", "case_district": episode.district_id,
                     "cases": 1} for e in alone]
    return Published(entries, counts, total, _zones(session))


def _alone(session: Session, day: date, resident: int) -> list[service.Entry]:
    """One case's own entries (what a case-linked list shows)."""
    others = [r for r in cases.active_episode_rows(session) if r[1] != resident]
    for other in others:  # hide the other cases for a moment
        episode = cases.episode_by_id(session, other[0])
        assert episode is not None
        episode.status = "withdrawn"
    session.flush()
    try:
        return service.compute(session, day=day, minimum=1).entries
    finally:
        for other in others:
            episode = cases.episode_by_id(session, other[0])
            assert episode is not None
            episode.status = "active"
        session.flush()


def single_out(p: Published) -> list[Linkage]:
    """Every person the attacker can single out with certainty."""
    found: set[Linkage] = set()
    homes = {"building", "compound"}
    # 1. Labels.
    by_label: dict[str, list[dict[str, Any]]] = {}
    for e in p.trajectories:
        if "case" in e:
            by_label.setdefault(str(e["case"]), []).append(e)
    for entries in by_label.values():
        home = [e["name"] for e in entries if e["place_kind"] in homes]
        if home:
            found.add(Linkage(home[0], frozenset(e["name"] for e in entries
                                                 if e["place_kind"] not in homes)))
    # 2. One case in a district, one zone of one case there, entries of one case there.
    for district, count in p.counts_by_district.items():
        if count != 1:
            continue
        lone_zones = [z for z in p.zones if z["district_id"] == district and z["cases"] == 1]
        theirs = [e for e in p.trajectories
                  if e.get("case_district") == district and e.get("cases") == 1]
        if len(lone_zones) == 1 and theirs:
            found.add(Linkage(lone_zones[0]["place"], frozenset(
                e["name"] for e in theirs if e["place_kind"] not in homes)))
    # 3. One case in the whole city behind the trajectories.
    if p.city_count == 1 and p.trajectories:
        home = [e["name"] for e in p.trajectories if e["place_kind"] in homes]
        zone = [z["place"] for z in p.zones if z["cases"] == 1]
        where = home or zone
        if where:
            found.add(Linkage(where[0], frozenset(e["name"] for e in p.trajectories
                                                  if e["place_kind"] not in homes)))
    return sorted(found, key=lambda link: link.home)


def _lone_case_across_the_river(scene: Trajectories) -> str:
    """A case living alone in River Court (the only case of its district), at River
    Teahouse with another guest, under a zone on its building; its building's name."""
    session = scene.session
    city = scene.city
    river = city.communities[2]
    building = Building(community_id=river.id, number=7, floors=3,
                        centroid_lat=river.centroid_lat, centroid_lon=river.centroid_lon,
                        polygon=square(river.centroid_lon, river.centroid_lat, 0.0003))
    session.add(building)
    session.flush()
    unit = Unit(building_id=building.id, number=1)
    session.add(unit)
    session.flush()
    homes = [Address(unit_id=unit.id, community_id=river.id, floor=1, door=d) for d in (1, 2)]
    session.add_all(homes)
    session.flush()
    people = []
    for key, latin, name, home in (("lone", "Sun Li", "孙丽", homes[0]),
                                   ("guest", "Zhou Ming", "周明", homes[1])):
        household = Household(address_id=home.id, community_id=river.id, home_suitable=True)
        session.add(household)
        session.flush()
        person = Resident(household_id=household.id, community_id=river.id, name=name,
                          name_latin=latin, name_search=latin.lower(), sex="F",
                          birth_date=date(1980, 1, 1), phone=None, has_smartphone=True,
                          pregnant=False, disability=False, chronic_medication=False)
        session.add(person)
        session.flush()
        session.add(HouseholdMembership(household_id=household.id, resident_id=person.id,
                                        start_date=date(1980, 1, 1), end_date=None))
        city.residents[key] = person
        people.append(person)
    teahouse = Venue(name="River Teahouse", kind="restaurant", community_id=river.id,
                     lat=river.centroid_lat, lon=river.centroid_lon, enclosed=True)
    session.add(teahouse)
    session.flush()
    case = add_case(session, city, "lone", sampling=SAMPLED, isolation=ISOLATED)
    scene.visit("lone", at(18, 19), at(18, 21), venue=teahouse.id)
    scene.visit("guest", at(18, 20), at(18, 22), venue=teahouse.id)
    zone = scene.zone("building", building=building.id, community=river.id)
    zone.district_id = case.district_id
    session.add(ZoneTrigger(zone_id=zone.id, case_id=case.id, link="residence",
                            sampling_date=SAMPLED))
    session.flush()
    return "River Court, building 7"


@pytest.fixture
def city(db: Session) -> Trajectories:
    """Three cases in Willow and Pine Courts (district 1); one alone across the river."""
    scene = trajectories(db)
    home = scene.city.buildings[0]
    scene.zone("household", building=home.id, community=home.community_id)
    scene.visit("wang_fang", at(20, 18), at(20, 19))
    scene.visit("zhao_lei", at(20, 18, 30), at(20, 19, 30))
    return scene


def test_a_naive_publication_gives_the_lone_case_away(db: Session, city: Trajectories
                                                      ) -> None:
    _lone_case_across_the_river(city)
    found = single_out(naive_for_day(db, DAY))
    lone = [link for link in found if link.places == frozenset({"River Teahouse"})]
    assert lone, found
    # The district count and the zone point at the same person as the labels do.
    assert any("River Court" in link.home or "building 7" in link.home for link in lone)


def test_the_publication_does_not_single_anyone_out(db: Session, city: Trajectories
                                                    ) -> None:
    _lone_case_across_the_river(city)
    published = published_for_day(db, DAY)
    assert published.trajectories, "the places are published"
    assert {"River Teahouse", "Willow Market"} <= {e["name"] for e in published.trajectories}
    assert single_out(published) == []
    # What the entries hold: no label, no count, no case; one window per place and time.
    for entry in published.trajectories:
        assert not set(entry) & {"case", "cases", "case_district", "case_id", "count"}
    spans: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for e in published.trajectories:
        spans.setdefault((e["place_kind"], e["place_id"]), []).append(
            (e["starts_at"], e["ends_at"]))
    for windows in spans.values():
        ordered = sorted(windows)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(ordered))
    # The lone district's count is suppressed.
    assert list(published.counts_by_district.values()) == ["<5", "<5"]


def test_a_lone_case_in_the_city_publishes_no_trajectory(db: Session) -> None:
    scene = trajectories(db)
    for key in ("li_na", "wang_fang"):
        scene.cases[key].status = "withdrawn"
    db.flush()
    building = _lone_case_across_the_river(scene)
    scene.cases["wang_xiulan"].status = "withdrawn"
    db.flush()
    # Without the rule on the cases behind the entries, the city total gives them away.
    unguarded = published_for_day(db, DAY, minimum=1)
    assert [link.home for link in single_out(unguarded)] == [building]
    assert single_out(published_for_day(db, DAY)) == []
    assert published_for_day(db, DAY).trajectories == []
