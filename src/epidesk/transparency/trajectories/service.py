"""Trajectories: computed at publication from the cases' infectious windows, stored per
publication day, written to files, searched by the public pages, purged once expired."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.config import get_settings
from epidesk.kit import clock
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.tracing.retrace import repository as retrace
from epidesk.tracing.rules import case_window, seconds_of
from epidesk.tracing.runs import repository as runs
from epidesk.tracing.visits import repository as visits
from epidesk.transparency.trajectories import repository
from epidesk.transparency.trajectories.models import TrajectoryEntry
from epidesk.transparency.trajectories.rules import (
    BUILDING,
    COMPOUND,
    VENUE,
    PlaceKey,
    Stay,
    Window,
    building_public,
    clip,
    expired,
    expires_on,
    identified,
    last_day,
    merge,
    withheld,
)
from epidesk.zoning import repository as zoning

# The columns of every trajectory file, in order (stable: never renamed once published).
FILE_COLUMNS = ("place_kind", "place_id", "district_id", "name", "name_local", "lat", "lon",
                "starts_at", "ends_at", "last_day", "expires_on")
FILE_STEM = "trajectories"
FOLDER = "trajectories"


@dataclass(frozen=True)
class Entry:
    """A published place and window, as pages and files show it."""

    place_kind: str
    place_id: int
    district_id: int
    name: str
    name_local: str
    lat: float
    lon: float
    starts_at: dt.datetime
    ends_at: dt.datetime
    last_day: dt.date
    expires_on: dt.date

    def row(self) -> dict[str, Any]:
        """The entry as a file's row (times as ISO 8601 UTC, days as ISO dates)."""
        return {"place_kind": self.place_kind, "place_id": self.place_id,
                "district_id": self.district_id, "name": self.name,
                "name_local": self.name_local, "lat": self.lat, "lon": self.lon,
                "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
                "last_day": self.last_day.isoformat(), "expires_on": self.expires_on.isoformat()}


@dataclass(frozen=True)
class Computed:
    """A day's trajectories: what may be published, and whether it was withheld."""

    day: dt.date
    entries: list[Entry]
    # Entries there were, before the rule on too few cases behind them.
    found: int
    withheld: bool


@dataclass(frozen=True)
class Purged:
    """What a purge removed (or would remove)."""

    entries: int
    files_rewritten: int
    files_removed: int


def _known(session: Session, residents: Iterable[int], case_residents: set[int]) -> set[int]:
    """Who among the residents is identified: an active contact, or a case."""
    import numpy as np

    wanted = np.asarray(sorted(set(residents) - case_residents), dtype=np.int64)
    states = runs.contact_states(session, wanted) if wanted.size else None
    known = set(case_residents)
    if states is not None:
        known.update(int(r) for r, a in zip(states.resident.tolist(), states.active.tolist(),
                                            strict=True) if a)
    return known


def _stays(session: Session, *, day: dt.date, preset: Preset, days: int) -> list[Stay]:
    """Every stay of an active case inside its infectious window, up to the end of `day`,
    whose last exposure is recent enough to be shown on `day`."""
    zone = clock.city_zone()
    until = seconds_of(clock.day_start(day + dt.timedelta(days=1), zone))
    oldest = seconds_of(clock.day_start(day - dt.timedelta(days=days), zone))
    windows: dict[int, tuple[int, int]] = {}
    case_of: dict[int, int] = {}
    for cid, resident, kind, _status, sampled, onset, isolated in cases.active_episode_rows(
            session):
        start, end = case_window(classification=kind, sampling_date=sampled, onset_date=onset,
                                 isolation_date=isolated, preset=preset, now=until, zone=zone)
        end = min(end, until)
        if start < end and end > oldest:
            windows[resident] = (start, end)
            case_of[resident] = cid
    if not windows:
        return []
    residents = sorted(windows)
    stays: list[Stay] = []
    # Venues the cases visited while infectious.
    who, where, arrive, leave = retrace.visits_of_residents(session, residents)
    raw: list[tuple[int, int, int, int]] = []
    for r, v, a, b in zip(who.tolist(), where.tolist(), arrive.tolist(), leave.tolist(),
                          strict=True):
        cut = clip(a, b, windows[r])
        if cut is not None:
            raw.append((r, v, *cut))
    others: list[tuple[int, int, int, int]] = []
    if raw:
        others = visits.visits_at_venues(
            session, sorted({v for _, v, _, _ in raw}),
            start=clock.aware(dt.datetime.fromtimestamp(min(a for *_, a, _ in raw), dt.UTC)),
            end=clock.aware(dt.datetime.fromtimestamp(max(b for *_, b in raw), dt.UTC)))
    for r, v, a, b in raw:
        there = frozenset(o for o, ov, oa, ob in others
                          if ov == v and o != r and oa < b and ob > a)
        stays.append(Stay((VENUE, v), case_of[r], a, b, there))
    # Homes, only where a zone in force already makes the building (or compound) public.
    zones = [(z.area_kind, z.building_id, z.community_id)
             for z in zoning.zones(session, preset=preset.name)]
    homes = people.address_of_residents(session, residents)
    places = repository.buildings_of_addresses(session, sorted(set(homes.values())))
    for r in residents:
        if r not in homes or homes[r] not in places:
            continue
        building, community = places[homes[r]]
        place = building_public(building, community, zones)
        if place is None:
            continue
        exposed: frozenset[int] = frozenset()
        if place[0] == BUILDING:
            exposed = frozenset(p.id for p in people.building_residents(session, building)
                                if p.id != r)
        stays.append(Stay(place, case_of[r], *windows[r], exposed, complete=place[0] == BUILDING))
    return stays


def _described(session: Session, windows: Sequence[Window], *, days: int) -> list[Entry]:
    zone = clock.city_zone()
    venues = people.venues_by_id(session, [w.place[1] for w in windows if w.place[0] == VENUE])
    homes = repository.buildings(session, [w.place[1] for w in windows
                                           if w.place[0] == BUILDING])
    coms = repository.communities(session, sorted(
        {v.community_id for v in venues.values()} | {b.community_id for b in homes.values()}
        | {w.place[1] for w in windows if w.place[0] == COMPOUND}))
    out = []
    for w in windows:
        kind, ref = w.place
        if kind == VENUE:
            v = venues[ref]
            com, district = coms[v.community_id]
            name, local, lat, lon = v.name, v.name, v.lat, v.lon
        elif kind == BUILDING:
            b = homes[ref]
            com, district = coms[b.community_id]
            name, local = f"{com.name}, building {b.number}", f"{com.name_local}{b.number}号楼"
            lat, lon = b.centroid_lat, b.centroid_lon
        else:
            com, district = coms[ref]
            name, local, lat, lon = com.name, com.name_local, com.centroid_lat, com.centroid_lon
        last = last_day(w, zone)
        out.append(Entry(kind, ref, district, name, local, float(lat), float(lon),
                         dt.datetime.fromtimestamp(w.start, dt.UTC),
                         dt.datetime.fromtimestamp(w.end, dt.UTC), last, expires_on(last, days)))
    return out


def compute(session: Session, *, day: dt.date, preset: Preset | None = None,
            days: int | None = None, minimum: int | None = None) -> Computed:
    """The trajectories to publish for `day`: places and merged windows, none linked to a
    case, left out where everyone exposed is identified, none expired on `day`."""
    settings = get_settings()
    chosen = preset or active_preset()
    keep = days if days is not None else settings.trajectory_days
    least = minimum if minimum is not None else settings.trajectory_min_cases
    stays = _stays(session, day=day, preset=chosen, days=keep)
    case_residents = set(people_of_cases(session))
    known = _known(session, {p for s in stays for p in s.exposed}, case_residents)
    open_stays = [s for s in stays if not identified(s, known)]
    windows = merge(open_stays)
    pairs = [(w, e) for w, e in zip(windows, _described(session, windows, days=keep),
                                    strict=True) if not expired(e.expires_on, day)]
    entries = [e for _, e in pairs]
    held = withheld([w for w, _ in pairs], least)
    entries.sort(key=lambda e: (e.name, e.starts_at))
    return Computed(day=day, entries=[] if held else entries, found=len(entries), withheld=held)


def people_of_cases(session: Session) -> list[int]:
    """The residents with an active case."""
    return [row[1] for row in cases.active_episode_rows(session)]


def _stored(row: TrajectoryEntry) -> Entry:
    return Entry(row.place_kind, row.place_id, row.district_id, row.name, row.name_local,
                 row.lat, row.lon, clock.aware(row.starts_at), clock.aware(row.ends_at),
                 row.last_day, row.expires_on)


def publish(session: Session, *, day: dt.date, folder: Path | None = None,
            preset: Preset | None = None) -> Computed:
    """Compute and store `day`'s trajectories (replacing that day's), and write the files
    into `folder` when given. The transparency publication calls this for each day it
    publishes; dated snapshots of counts never include these files."""
    computed = compute(session, day=day, preset=preset)
    repository.replace_day(session, day, [dict(vars(e)) for e in computed.entries])
    if folder is not None:
        write_files(folder, day, computed.entries)
    return computed


def shown(session: Session, *, today: dt.date, text: str | None = None,
          on: dt.date | None = None, places: Sequence[PlaceKey] | None = None
          ) -> tuple[dt.date | None, list[Entry]]:
    """The latest publication's entries still shown today, found by a place's name, a day
    (city time) and chosen places."""
    latest = repository.latest_day(session, today)
    if latest is None:
        return None, []
    starts = ends = None
    if on is not None:
        starts, ends = clock.day_start(on), clock.day_start(on + dt.timedelta(days=1))
    rows = repository.entries(session, published_on=latest, today=today,
                              text=(text or "").strip() or None, starts=starts, ends=ends,
                              place_ids=places)
    return latest, [_stored(r) for r in rows]


# ------------------------------------------------------------------ files


def file_bytes(entries: Sequence[Entry] | Sequence[dict[str, Any]], suffix: str) -> bytes:
    """Entries (or file rows) as a CSV or JSON file."""
    rows = [e.row() if isinstance(e, Entry) else e for e in entries]
    if suffix == ".json":
        return (json.dumps({"columns": list(FILE_COLUMNS), "rows": rows}, ensure_ascii=False,
                           indent=1) + "\n").encode()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FILE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(data)
    os.replace(part, path)


def write_files(folder: Path, day: dt.date, entries: Sequence[Entry]) -> list[Path]:
    """The day's trajectory files (CSV and JSON), and the current ones beside them."""
    written = []
    for suffix in (".csv", ".json"):
        for name in (f"{FILE_STEM}-{day.isoformat()}{suffix}", f"{FILE_STEM}{suffix}"):
            path = folder / FOLDER / name
            _write(path, file_bytes(entries, suffix))
            written.append(path)
    return written


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".json":
        return list(json.loads(path.read_text(encoding="utf-8"))["rows"])
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def trajectory_files(root: Path) -> list[Path]:
    """Every trajectory file under a folder of published files, snapshots included."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(f"{FILE_STEM}*")
                  if p.is_file() and p.suffix in (".csv", ".json"))


def purge(session: Session, *, today: dt.date, root: Path | None = None,
          dry_run: bool = False) -> Purged:
    """Delete every entry expired by `today` from the table and from every trajectory
    file under `root` (default: the publication folder, if set): files are rewritten without
    the expired rows, and a dated file left with none is removed."""
    folder = root if root is not None else get_settings().publication_dir
    rows = (repository.count_expired(session, today) if dry_run
            else repository.delete_expired(session, today))
    rewritten = removed = 0
    for path in trajectory_files(folder) if folder is not None else []:
        before = _read_rows(path)
        after = [r for r in before
                 if not expired(dt.date.fromisoformat(str(r["expires_on"])), today)]
        if len(after) == len(before):
            continue
        dated = path.stem != FILE_STEM
        if dated and not after:
            removed += 1
            if not dry_run:
                path.unlink()
        else:
            rewritten += 1
            if not dry_run:
                _write(path, file_bytes(after, path.suffix))
    return Purged(rows, rewritten, removed)


def days_kept() -> int:
    """Days after the last exposure that an entry stays published."""
    return get_settings().trajectory_days
