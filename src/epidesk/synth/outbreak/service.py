"""Use cases of the outbreak scenario: write one on the database's city, and replay it
through the platform.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from epidesk.cases import rules as case_rules
from epidesk.cases import service as cases
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.reports import Report
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.synth import rules as synth_rules
from epidesk.synth.city import repository as city_repository
from epidesk.synth.outbreak import engine, repository, rules
from epidesk.synth.outbreak.spread import engine as spread_engine
from epidesk.synth.outbreak.testing import engine as lab_engine
from epidesk.synth.outbreak.testing import rules as lab_rules
from epidesk.synth.outbreak.testing.service import testing_rules
from epidesk.testing.engine import write_batch
from epidesk.tracing import service as tracing
from epidesk.tracing.visits import service as tracing_visits
from epidesk.tracing.visits.engine import write_visit_log

Progress = Callable[[str, int, int], None]


ACTOR = "synth:outbreak"
MANIFEST = "manifest.json"
INFECTIONS = "infections.csv"
VISITS = "visits.csv"
ONSETS = "onsets.csv"
ONSET_COLUMNS = ("resident_id", "onset_date", "reported_at")
MANIFEST_FORMAT = 1


def city_today() -> date:
    """Today's date in the city's time zone."""
    return clock.city_today()


def load_outbreak_city(session: Session) -> spread_engine.OutbreakCity:
    """The city's contact structure as arrays, or ConflictError when there is no city."""
    city = city_repository.first_city(session)
    resident_id, community_id = repository.residents(session)
    if city is None or not len(resident_id):
        raise ConflictError("the database holds no city (or no residents): build one first "
                            "with `epidesk synth city`")
    return spread_engine.outbreak_city(
        name=city.name, code=city.code, resident_id=resident_id, community_id=community_id,
        households=repository.memberships(session, "household"),
        work=repository.memberships(session, "work"),
        classes=repository.memberships(session, "class"),
        communities=repository.communities(session), venues=repository.venues(session))


def prepare_out_dir(out: Path) -> Path:
    """Create the output folder (or ValidationFailedError) and clear days of an earlier
    scenario written there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".epidesk-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValidationFailedError(
            f"cannot write the scenario to {out}: {exc.strerror or exc}") from exc
    for old in sorted(out.glob("day-[0-9][0-9]")):
        if old.is_dir():
            for stale in old.glob("*.csv"):
                stale.unlink()
            with contextlib.suppress(OSError):
                old.rmdir()
    return out


@dataclass(frozen=True)
class OutbreakSummary:
    """What `generate_outbreak` wrote, with the scenario's truth per day."""

    out: Path
    city: str
    people: int
    seed: int
    days: int
    first_day: date
    last_day: date
    preset: str
    pool_size: int
    target_daily: float
    scale: float
    calibration_runs: int
    mean_daily_infections: float
    infections: int
    detected: int
    batches: int
    tubes: int
    samples: int
    visits: int
    onsets: int
    daily: list[dict[str, Any]]
    seconds: float


def generate_outbreak(session: Session, *, days: int, seed: int, out: Path,
                      first_day: date | None = None, target_daily: float | None = None,
                      pool_size: int | None = None, preset: Preset | None = None,
                      today: date | None = None, progress: Progress | None = None
                      ) -> OutbreakSummary:
    """Simulate an outbreak on the database's city and write its files to `out`.

    Writes out/day-NN/ (one lab batch per laboratory and day, visits.csv, onsets.csv),
    out/infections.csv (every infection, the truth) and out/manifest.json. The same
    city, seed, days and first day always give the same files. Writes nothing to the
    database.
    """
    started = time.perf_counter()
    days = rules.validate_outbreak_days(days)
    seed = synth_rules.validate_seed(seed)
    target = rules.validate_target_daily(
        rules.JINING_LIKE.target_daily if target_daily is None else target_daily)
    preset = preset or active_preset()
    tube_rules = testing_rules(preset, pool_size)
    today = today or city_today()
    first = first_day or rules.default_first_day(days, today)
    problem = rules.scenario_window_problem(first, days, today)
    if problem:
        raise ValidationFailedError(problem)
    city = load_outbreak_city(session)
    prepare_out_dir(out)
    params = dataclasses.replace(rules.JINING_LIKE, target_daily=target,
                                 pool_size=tube_rules.pool_size)
    first_epoch = first.toordinal() - spread_engine.EPOCH_ORDINAL

    def calibrating(done: int, total: int) -> None:
        if progress is not None:
            progress("calibrate", done, total)

    fit = engine.calibrate(city, params, tube_rules, seed=seed, days=days,
                           first_epoch_day=first_epoch, progress=calibrating)
    scenario = fit.scenario
    tag = rules.scenario_tag(seed, first, city.code)
    lab_names = [name.format(city=city.name) for _, name in lab_rules.LABS]
    batches = lab_engine.batch_files(
        city, scenario.tubes, site_names=scenario.site_names,
        first_epoch_day=scenario.first_epoch_day, warmup=scenario.warmup,
        total_days=scenario.total_days, tag=tag, lab_names=lab_names)
    visits = engine.visit_files(city, scenario)
    onsets = engine.onset_files(city, scenario)
    truth = engine.daily_truth(scenario)
    manifest_days: list[dict[str, Any]] = []
    for k in range(1, days + 1):
        day = spread_engine.epoch_date(first_epoch + k - 1)
        folder = out / rules.day_dir(k)
        folder.mkdir(exist_ok=True)
        names: list[str] = []
        tubes = samples = 0
        for batch in (b for b in batches if b.day == k):
            name = f"{day:%Y%m%d}-{lab_rules.LABS[batch.lab][0]}.csv"
            write_batch(folder / name, batch.columns)
            names.append(name)
            tubes += batch.tubes
            samples += batch.samples
        visit_name: str | None = None
        if k in visits:
            (folder / VISITS).write_bytes(write_visit_log(visits[k]))
            visit_name = VISITS
        _write_csv(folder / ONSETS, ONSET_COLUMNS, onsets.get(k, []))
        manifest_days.append({**truth[k - 1], "folder": rules.day_dir(k), "lab_batches": names,
                              "tubes": tubes, "samples": samples, "visits": visit_name,
                              "visit_rows": len(visits[k]["resident_id"]) if k in visits else 0,
                              "onsets": ONSETS, "onset_rows": len(onsets.get(k, []))})
        if progress is not None:
            progress("write", k, days)
    _write_csv(out / INFECTIONS, engine.INFECTION_COLUMNS, engine.infection_rows(city, scenario))
    last = spread_engine.epoch_date(first_epoch + days - 1)
    infections = int(scenario.daily_infections().sum())
    summary = OutbreakSummary(
        out=out, city=city.name, people=city.people, seed=seed, days=days, first_day=first,
        last_day=last, preset=preset.name, pool_size=tube_rules.pool_size, target_daily=target,
        scale=round(fit.scale, 6), calibration_runs=len(fit.tried),
        mean_daily_infections=round(scenario.mean_daily_infections(), 3),
        infections=infections, detected=sum(d["detected"] for d in truth),
        batches=len(batches), tubes=sum(b.tubes for b in batches),
        samples=sum(b.samples for b in batches),
        visits=sum(len(v["resident_id"]) for v in visits.values()),
        onsets=sum(len(v) for v in onsets.values()), daily=truth,
        seconds=round(time.perf_counter() - started, 3))
    manifest = {
        "format": MANIFEST_FORMAT,
        "scenario": params.name,
        "city": {"name": city.name, "code": city.code, "people": city.people},
        "seed": seed,
        "days": days,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "warmup_days": params.warmup_days,
        "preset": preset.name,
        "pool_size": tube_rules.pool_size,
        "target_daily": target,
        "mean_daily_infections": summary.mean_daily_infections,
        "transmission_scale": summary.scale,
        "calibration": [[round(s, 6), round(m, 3) if math.isfinite(m) else None]
                        for s, m in fit.tried],
        "totals": {"infections": infections, "detected": summary.detected,
                   "lab_batches": summary.batches, "tubes": summary.tubes,
                   "samples": summary.samples, "visits": summary.visits,
                   "onsets": summary.onsets},
        "parameters": dataclasses.asdict(params),
        "infections_file": INFECTIONS,
        "day_list": manifest_days,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return summary


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


# ------------------------------------------------------------------ replay


@dataclass(frozen=True)
class OutbreakDay:
    """One day of a written scenario, as its manifest lists it."""

    day: int
    date: date
    folder: Path
    lab_batches: tuple[str, ...]
    visits: str | None
    onsets: str | None

    @property
    def end(self) -> datetime:
        """The last second of the day, city time (as an instant in UTC)."""
        epoch_day = self.date.toordinal() - spread_engine.EPOCH_ORDINAL
        return datetime.fromtimestamp(spread_engine.local_midnight(epoch_day + 1) - 1, UTC)


def read_manifest(out: Path) -> list[OutbreakDay]:
    """The days of a scenario written to `out`, in order."""
    path = out / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(f"no outbreak scenario in {out} ({MANIFEST} is missing)") from exc
    except (OSError, ValueError) as exc:
        raise ValidationFailedError(f"cannot read {path}: {exc}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValidationFailedError(f"{path} is not an outbreak manifest of format "
                                    f"{MANIFEST_FORMAT}")
    return [OutbreakDay(day=int(d["day"]), date=date.fromisoformat(d["date"]),
                        folder=out / d["folder"], lab_batches=tuple(d["lab_batches"]),
                        visits=d.get("visits"), onsets=d.get("onsets"))
            for d in manifest["day_list"]]


@dataclass
class DayReplay:
    """What feeding one scenario day through the platform did."""

    day: int
    date: date
    visits: int = 0
    visit_logs_already: int = 0
    batches: int = 0
    batches_already: int = 0
    samples: int = 0
    positive_tubes: int = 0
    retests_ordered: int = 0
    retests_resolved: int = 0
    cases_created: int = 0
    reclassified: int = 0
    reclassified_already: int = 0
    onsets_unmatched: int = 0
    traced_cases: int = 0
    close_contacts: int = 0
    sub_close_contacts: int = 0
    seconds: float = 0.0


def replay_day(session: Session, *, day: OutbreakDay, actor: str = ACTOR,
               preset: Preset | None = None) -> DayReplay:
    """Feed one day through the platform's own paths, as of the end of that day.

    Visits are imported, lab batches ingested (results, retests, cases), symptom onsets
    turn asymptomatic infections into confirmed cases, then the contacts of every case
    changed are classified. A day fed twice changes nothing. Flushes, never commits.
    """
    started = time.perf_counter()
    now = day.end
    preset = preset or active_preset()
    result = DayReplay(day=day.day, date=day.date)
    if day.visits:
        path = day.folder / day.visits
        imported = tracing_visits.import_visits_file(session, path=path, received_by=actor, now=now)
        if not imported.accepted:
            raise ConflictError(f"{path} was rejected: {_why(imported.report)}")
        if imported.already_imported:
            result.visit_logs_already += 1
        else:
            result.visits += imported.log.rows
    for name in day.lab_batches:
        path = day.folder / name
        ingested = cases.ingest_results_file(session, path=path, received_by=actor,
                                             preset=preset, now=now)
        if not ingested.accepted:
            raise ConflictError(f"{path} was rejected: {_why(ingested.report)}")
        if ingested.already_ingested:
            result.batches_already += 1
            continue
        batch = ingested.batch
        result.batches += 1
        result.samples += batch.rows
        result.positive_tubes += batch.positive_tubes
        result.retests_ordered += batch.retests_ordered
        result.retests_resolved += batch.retests_resolved
        result.cases_created += batch.cases_created
    if day.onsets:
        _replay_onsets(session, day.folder / day.onsets, result, actor=actor, now=now,
                       preset=preset)
    run = tracing.follow_case_changes(session, actor=actor, preset=preset, now=now)
    if run is not None:
        result.traced_cases = run.cases
        result.close_contacts = run.close_contacts
        result.sub_close_contacts = run.sub_close_contacts
    session.flush()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _why(report: Report) -> str:
    first = report.problems[0] if report.problems else None
    where = f"; line {first.line}, {first.column}: {first.problem}" if first else ""
    return report.summary() + where


def _replay_onsets(session: Session, path: Path, result: DayReplay, *, actor: str,
                   now: datetime, preset: Preset) -> None:
    """Reclassify the asymptomatic infection of each resident whose symptoms began."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror}") from exc
    for line, row in enumerate(rows, start=2):
        try:
            resident_id = int(row["resident_id"])
            onset = date.fromisoformat(row["onset_date"])
            reported = datetime.fromisoformat(row["reported_at"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationFailedError(f"{path}, line {line}: {exc}") from exc
        active = [e for e in cases.resident_cases(session, resident_id=resident_id)
                  if e.status == case_rules.ACTIVE]
        if not active:
            result.onsets_unmatched += 1
            continue
        episode = active[0]
        if episode.classification == case_rules.CONFIRMED:
            result.reclassified_already += 1
            continue
        cases.reclassify(session, case_id=episode.id, actor=actor, on=reported.date(),
                         onset_date=onset, preset=preset, now=now,
                         note=f"symptom onset {onset} reported at {reported:%Y-%m-%d %H:%M}")
        result.reclassified += 1


def replay_outbreak(session: Session, *, out: Path, actor: str = ACTOR,
                    preset: Preset | None = None) -> list[DayReplay]:
    """Feed every day of a written scenario, in order, in this session (no commit)."""
    return [replay_day(session, day=day, actor=actor, preset=preset)
            for day in read_manifest(out)]


def has_cases(session: Session) -> bool:
    """Whether the database holds any case."""
    return repository.case_count(session) > 0


def outbreak_counts(session: Session) -> dict[str, int]:
    """Cases, open retests and contacts, for the summary after a replay."""
    return repository.outbreak_counts(session)
