"""`epidesk synth outbreak`: the simulation, its files, their replay, the command line."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import pytest
import sqlalchemy as sa
from rich.cells import cell_len
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.cli import app, main
from epidesk.db import make_engine, session_scope
from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.kit import clock
from epidesk.migrate import upgrade
from epidesk.people.models import (
    ClassMembership,
    HouseholdMembership,
    Resident,
    WorkGroupMembership,
)
from epidesk.policy.service import load_preset
from epidesk.synth.city.service import build_city
from epidesk.synth.outbreak import rules, service
from epidesk.synth.outbreak.spread import engine
from epidesk.testing import engine as lab
from epidesk.testing.ingest import engine as checks
from epidesk.testing.models import LabBatch, RetestOrder, Sample, Tube
from epidesk.tracing.models import Contact, TracingRun, VenueVisit, VisitLog

PRESET = load_preset("cn-9th-2022")
TODAY = date(2026, 11, 22)
FIRST_DAY = date(2026, 11, 9)
MODERATE_PEOPLE = 15_000
MODERATE_DAYS = 10


# ------------------------------------------------------------------ fixtures and helpers


@dataclass
class Built:
    """A committed SQLite city and the outbreak written from it."""

    url: str
    city: engine.OutbreakCity
    out: Path
    summary: service.OutbreakSummary


def _sqlite_city(path: Path, people: int, seed: int) -> str:
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    upgrade(eng)
    with session_scope(dbmod.sessionmaker(bind=eng)) as session:
        build_city(session, people=people, seed=seed)
    eng.dispose()
    return url


def _generate(url: str, out: Path, **options: Any) -> tuple[engine.OutbreakCity,
                                                            service.OutbreakSummary]:
    eng = make_engine(url)
    try:
        with dbmod.sessionmaker(bind=eng)() as session:
            city = service.load_outbreak_city(session)
            summary = service.generate_outbreak(session, out=out, preset=PRESET, today=TODAY,
                                                **{"days": MODERATE_DAYS, "seed": 11,
                                                   "first_day": FIRST_DAY, **options})
    finally:
        eng.dispose()
    return city, summary


@pytest.fixture(scope="module")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A 15,000-resident city and ten days of the default (Jining-like) outbreak."""
    folder = tmp_path_factory.mktemp("moderate")
    url = _sqlite_city(folder / "city.db", MODERATE_PEOPLE, 2)
    city, summary = _generate(url, folder / "out")
    return Built(url=url, city=city, out=folder / "out", summary=summary)


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / service.MANIFEST).read_text(encoding="utf-8"))
    return data


def digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def batch_rows(out: Path) -> list[dict[str, Any]]:
    """Every sample line of every lab batch, with the day it was written on."""
    rows: list[dict[str, Any]] = []
    for day in manifest(out)["day_list"]:
        for name in day["lab_batches"]:
            with (out / day["folder"] / name).open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    rows.append({**row, "day": day["day"], "file": name})
    return rows


def infections(out: Path) -> list[dict[str, str]]:
    with (out / service.INFECTIONS).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def local_date(text: str) -> date:
    return datetime.fromisoformat(text).date()


# ------------------------------------------------------------------ the simulation


def test_calibrated_mean_is_near_the_target_and_mostly_asymptomatic(moderate: Built) -> None:
    days = manifest(moderate.out)["day_list"]
    daily = [d["infections"] for d in days]
    mean = sum(daily) / len(daily)
    assert abs(mean - 15) <= 3, daily
    assert moderate.summary.mean_daily_infections == pytest.approx(mean, abs=1e-3)
    # Spread over the whole scenario, not one burst at the start.
    assert sum(daily[len(daily) // 2:]) / (len(daily) - len(daily) // 2) >= 5, daily
    found = [r for r in infections(moderate.out)
             if r["detected_on"] and date.fromisoformat(r["infected_on"]) >= FIRST_DAY]
    symptomatic = sum(r["symptomatic"] == "true" for r in found)
    assert len(found) > 50 and symptomatic / len(found) < 0.3
    assert sum(d["detected"] for d in days) > 50


def test_a_lower_target_gives_a_smaller_outbreak(moderate: Built, tmp_path: Path) -> None:
    _, summary = _generate(moderate.url, tmp_path / "low", target_daily=5.0)
    assert abs(summary.mean_daily_infections - 5) <= 1.5
    assert summary.infections < moderate.summary.infections / 2


def test_same_seed_same_files_other_seed_other_files(moderate: Built, tmp_path: Path) -> None:
    _generate(moderate.url, tmp_path / "one", days=4)
    _generate(moderate.url, tmp_path / "two", days=4)
    _generate(moderate.url, tmp_path / "other", days=4, seed=12)
    first = digests(tmp_path / "one")
    assert len(first) > 4 * 3 and first == digests(tmp_path / "two")
    other = digests(tmp_path / "other")
    for name in (service.MANIFEST, service.INFECTIONS, "day-01/visits.csv",
                 "day-01/20261109-cdc.csv"):
        assert other[name] != first[name]


def test_infections_only_through_the_contact_structure(moderate: Built) -> None:
    eng = make_engine(moderate.url)
    with dbmod.sessionmaker(bind=eng)() as session:
        groups: dict[str, set[tuple[int, int]]] = {
            rules.HOUSEHOLD: {(r[0], r[1]) for r in session.execute(sa.select(
                HouseholdMembership.resident_id, HouseholdMembership.household_id)).all()},
            rules.WORK_GROUP: {(r[0], r[1]) for r in session.execute(sa.select(
                WorkGroupMembership.resident_id, WorkGroupMembership.work_group_id)).all()},
            rules.SCHOOL_CLASS: {(r[0], r[1]) for r in session.execute(sa.select(
                ClassMembership.resident_id, ClassMembership.school_class_id)).all()},
        }
    eng.dispose()
    visits: dict[tuple[int, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for day in manifest(moderate.out)["day_list"]:
        if day["visits"]:
            with (moderate.out / day["folder"] / day["visits"]).open(encoding="utf-8") as f:
                for v in csv.DictReader(f):
                    visits[int(v["resident_id"]), int(v["venue_id"])].append(
                        (datetime.fromisoformat(v["started_at"]),
                         datetime.fromisoformat(v["ended_at"])))
    rows = infections(moderate.out)
    infected_on = {int(r["resident_id"]): date.fromisoformat(r["infected_on"]) for r in rows}
    by_origin: dict[str, int] = defaultdict(int)
    for r in rows:
        origin = r["origin"]
        by_origin[origin] += 1
        who = int(r["resident_id"])
        if origin in (rules.SEED, rules.IMPORTED):
            assert r["infector_id"] == "" and r["place_id"] == ""
            continue
        source, place = int(r["infector_id"]), int(r["place_id"])
        assert infected_on[source] < infected_on[who]
        if origin in groups:
            assert (who, place) in groups[origin] and (source, place) in groups[origin]
        else:
            assert origin == rules.VENUE
            if infected_on[who] < FIRST_DAY:
                continue  # visits before the first day are not written
            mine, theirs = visits[who, place], visits[source, place]
            assert any(a0 < b1 and b0 < a1 and a0.date() == infected_on[who]
                       for a0, a1 in mine for b0, b1 in theirs), r
    assert by_origin[rules.HOUSEHOLD] > 0 and by_origin[rules.WORK_GROUP] > 0
    assert by_origin[rules.SCHOOL_CLASS] > 0 and by_origin[rules.SEED] > 0


def test_batches_pass_the_lab_validation_and_read_as_the_preset_says(moderate: Built) -> None:
    eng = make_engine(moderate.url)
    with dbmod.sessionmaker(bind=eng)() as session:
        residents = checks.resident_bitmap(
            np.asarray(session.scalars(sa.select(Resident.id)).all()))
    eng.dispose()
    threshold = PRESET.cases.positivity.ct_below
    seen_kinds: set[str] = set()
    for day in manifest(moderate.out)["day_list"]:
        end = datetime.combine(date.fromisoformat(day["date"]) + timedelta(days=1),
                               datetime.min.time(), tzinfo=UTC) - timedelta(hours=8, seconds=1)
        for name in day["lab_batches"]:
            content = (moderate.out / day["folder"] / name).read_bytes()
            batch = lab.parse(checks.read_table(content, "csv"), "csv")
            checks.validate(batch, residents=residents,
                         pool_sizes=PRESET.testing.pooling.pool_sizes, now=end,
                            zone=clock.city_zone())
            assert not batch.findings and not batch.file_problems, checks.report(batch).summary()
            table = pacsv.read_csv(moderate.out / day["folder"] / name,
                                   convert_options=pacsv.ConvertOptions(
                                       strings_can_be_null=True)).to_pydict()
            for outcome, orf, n, kind, size in zip(
                    table["outcome"], table["ct_orf1ab"], table["ct_n"], table["tube_type"],
                    table["pool_size"], strict=True):
                seen_kinds.add(kind)
                if outcome == "positive":
                    assert orf < threshold and n < threshold
                else:
                    assert orf is None and n is None
                assert (kind == "single") == (size == 1)
                assert size == 1 or size in PRESET.testing.pooling.pool_sizes
    assert seen_kinds == {"single", "pooled"}


def test_barcodes_are_unique_and_labs_and_sites_several(moderate: Built) -> None:
    rows = batch_rows(moderate.out)
    samples = [r["sample_id"] for r in rows]
    assert len(samples) == len(set(samples)) == moderate.summary.samples
    tubes: dict[str, int] = {}
    for r in rows:
        tubes.setdefault(r["tube_id"], r["day"])
        assert tubes[r["tube_id"]] == r["day"]  # a tube is in one day's files only
    assert len({r["lab"] for r in rows}) >= 4
    assert len({r["collection_site"] for r in rows}) > 10
    hours = [(datetime.fromisoformat(r["result_at"])
              - datetime.fromisoformat(r["collected_at"])).total_seconds() / 3600 for r in rows]
    assert min(hours) > 1 and max(hours) < 24
    assert all(r["collected_at"].endswith("+08:00") for r in rows[:1000])
    assert {r["imported"] for r in rows if "port" in r["collection_site"].lower()
            or "checkpoint" in r["collection_site"].lower()} == {"true"}


def test_positive_pools_are_retested_in_single_tubes_the_next_day(moderate: Built) -> None:
    rows = batch_rows(moderate.out)
    last_day = max(r["day"] for r in rows)
    singles: dict[str, list[date]] = defaultdict(list)
    for r in rows:
        if r["tube_type"] == "single":
            singles[r["resident_id"]].append(local_date(r["collected_at"]))
    pools = [r for r in rows if r["tube_type"] == "pooled"
             and r["outcome"] in ("positive", "invalid") and r["day"] < last_day]
    assert sum(r["outcome"] == "positive" for r in pools) > 20
    for r in pools:
        retest_day = local_date(r["result_at"]) + timedelta(days=1)
        assert retest_day in singles[r["resident_id"]], r
    retests = [r for r in rows if "home sampling" in r["collection_site"]]
    assert retests and all(r["tube_type"] == "single" for r in retests)


def test_onsets_follow_an_asymptomatic_positive(moderate: Built) -> None:
    rows = batch_rows(moderate.out)
    first_positive: dict[str, datetime] = {}
    for r in rows:
        if r["tube_type"] == "single" and r["outcome"] == "positive":
            at = datetime.fromisoformat(r["result_at"])
            first_positive[r["resident_id"]] = min(first_positive.get(r["resident_id"], at), at)
    confirmed = {r["resident_id"] for r in rows
                 if r["tube_type"] == "single" and r["outcome"] == "positive" and r["onset_date"]}
    assert confirmed, "some cases should be confirmed at report"
    onsets = 0
    for day in manifest(moderate.out)["day_list"]:
        with (moderate.out / day["folder"] / day["onsets"]).open(encoding="utf-8") as f:
            for o in csv.DictReader(f):
                onsets += 1
                reported = datetime.fromisoformat(o["reported_at"])
                assert reported.date().isoformat() == day["date"]
                assert reported > first_positive[o["resident_id"]]
                assert date.fromisoformat(o["onset_date"]) <= reported.date()
    assert onsets == moderate.summary.onsets


# ------------------------------------------------------------------ replay, both backends


def _counts(session: Session) -> dict[str, int]:
    models: tuple[Any, ...] = (LabBatch, Tube, Sample, RetestOrder, CaseEpisode, CaseEvent,
                               VisitLog, VenueVisit, Contact, TracingRun)
    return {m.__tablename__: int(session.scalar(sa.select(sa.func.count()).select_from(m))
                                 or 0) for m in models}


def test_replay_registers_what_testing_found_and_twice_changes_nothing(
        db: Session, tmp_path: Path) -> None:
    build_city(db, people=2_500, seed=9)
    out = tmp_path / "out"
    summary = service.generate_outbreak(db, days=5, seed=4, out=out, first_day=FIRST_DAY,
                                        target_daily=4.0, preset=PRESET, today=TODAY)
    first = service.replay_outbreak(db, out=out, preset=PRESET)
    counts = _counts(db)
    assert [r.day for r in first] == [1, 2, 3, 4, 5]
    assert sum(r.batches for r in first) == summary.batches
    assert sum(r.samples for r in first) == summary.samples == counts["sample"]
    assert counts["venue_visit"] == summary.visits
    assert db.scalar(sa.select(sa.func.count()).select_from(LabBatch)
                     .where(LabBatch.status != "accepted")) == 0
    # The platform reads every tube as the lab did (the preset's Ct rule).
    assert db.scalar(sa.select(sa.func.count()).select_from(Tube)
                     .where(Tube.reported_outcome != Tube.outcome)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(Tube)
                     .where(Tube.outcome == "positive", Tube.kind == "pooled")) > 0
    # Every infected resident whose positive single tube was released is a case.
    found = {int(r["resident_id"]) for r in infections(out)
             if r["detected_on"] and date.fromisoformat(r["detected_on"])
             <= FIRST_DAY + timedelta(days=4)}
    cases = set(db.scalars(sa.select(CaseEpisode.resident_id)).all())
    assert found and cases == found
    assert sum(r.reclassified for r in first) == summary.onsets
    assert sum(r.traced_cases for r in first) >= len(cases)
    assert counts["contact"] > 0
    # Retests still open are only those ordered on the last day.
    open_orders = db.scalars(sa.select(RetestOrder.ordered_at)
                             .where(RetestOrder.status == "open")).all()
    last = datetime(2026, 11, 12, 16, tzinfo=UTC)  # 2026-11-13 (the last day) 00:00 city time
    assert all((t if t.tzinfo else t.replace(tzinfo=UTC)) >= last for t in open_orders)

    second = service.replay_outbreak(db, out=out, preset=PRESET)
    assert _counts(db) == counts
    assert sum(r.batches for r in second) == 0
    assert sum(r.batches_already for r in second) == summary.batches
    assert sum(r.reclassified for r in second) == 0
    assert sum(r.reclassified_already for r in second) == summary.onsets
    assert sum(r.traced_cases for r in second) == 0


def test_generation_refuses_bad_input(db: Session, tmp_path: Path) -> None:
    with pytest.raises(ConflictError, match="no city"):
        service.generate_outbreak(db, days=3, seed=1, out=tmp_path / "a", preset=PRESET,
                                  today=TODAY)
    build_city(db, people=300, seed=1)
    with pytest.raises(ValidationFailedError, match="days must be between 1 and 90"):
        service.generate_outbreak(db, days=91, seed=1, out=tmp_path / "b", preset=PRESET)
    with pytest.raises(ValidationFailedError, match="pool size 7 is not validated"):
        service.generate_outbreak(db, days=3, seed=1, out=tmp_path / "c", pool_size=7,
                                  preset=PRESET, today=TODAY)
    with pytest.raises(ValidationFailedError, match="last day must be over"):
        service.generate_outbreak(db, days=3, seed=1, out=tmp_path / "d",
                                  first_day=TODAY - timedelta(days=2), preset=PRESET,
                                  today=TODAY)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValidationFailedError, match="cannot write the scenario"):
        service.generate_outbreak(db, days=3, seed=1, out=blocker / "out", preset=PRESET,
                                  today=TODAY)
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


# ------------------------------------------------------------------ the command line


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty SQLite database the command line is configured to use."""
    url = f"sqlite:///{tmp_path}/outbreak.db"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("EPIDESK_PRESET", "cn-9th-2022")
    dbmod.reset_engine()
    yield url
    dbmod.reset_engine()


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["epidesk", *args])
    try:
        main()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def case_count(url: str) -> int:
    eng = make_engine(url)
    try:
        with dbmod.sessionmaker(bind=eng)() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(CaseEpisode)) or 0)
    finally:
        eng.dispose()


def test_command_writes_replays_and_skips_when_cases_exist(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["synth", "city", "--people", "2000", "--seed", "3"]
                         ).exit_code == 0
    out = tmp_path / "scenario"
    args = ["synth", "outbreak", "--days", "3", "--seed", "5", "--out", str(out),
            "--first-day", "2026-11-01", "--target-daily", "4", "--replay"]
    monkeypatch.setenv("COLUMNS", "80")  # written to a log: 80 columns, plain ASCII
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "new infections a day" in result.output and "Replay: 3 days" in result.output
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80, result.output
    assert not any(ch in result.output for ch in "━─┃│┏┡╇"), result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "day-01", "day-02", "day-03", service.INFECTIONS, service.MANIFEST]
    cases = case_count(database)
    assert cases > 0
    skipped = runner.invoke(app, [*args, "--skip-existing"])
    assert skipped.exit_code == 0 and "already holds cases" in skipped.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert again.output.count(" seen ") == 3, again.output
    assert case_count(database) == cases


@pytest.mark.parametrize(("args", "message"), [
    (["--days", "0"], "days must be between 1 and 90"),
    (["--days", "120"], "days must be between 1 and 90"),
    (["--pool-size", "7"], "pool size 7 is not validated by the preset cn-9th-2022"),
    (["--first-day", "22/11/2026"], "the first day must be a date"),
    (["--target-daily", "0"], "the target must be above 0"),
])
def test_bad_options_give_one_clear_line(database: str, args: list[str], message: str,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status = run_main(["synth", "outbreak", "--out", str(tmp_path / "o"), *args], monkeypatch)
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_city_and_unwritable_folder_give_one_clear_line(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    status = run_main(["synth", "outbreak", "--out", str(tmp_path / "o")], monkeypatch)
    err = capsys.readouterr().err
    assert status == 1 and "no city" in err and len(err.strip().splitlines()) == 1
    assert run_main(["synth", "city", "--people", "300"], monkeypatch) == 0
    capsys.readouterr()
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    status = run_main(["synth", "outbreak", "--out", str(blocker)], monkeypatch)
    err = capsys.readouterr().err
    assert status == 1 and "cannot write the scenario to" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
