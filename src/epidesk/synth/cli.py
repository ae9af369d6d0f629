"""`epidesk synth` commands."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from epidesk.kit.console import console, progress_bars, table, wide

if TYPE_CHECKING:
    from epidesk.synth.city.service import CitySummary
    from epidesk.synth.outbreak import service

app = typer.Typer(help="Synthetic cities for demonstrations, tests and benchmarks.",
                  no_args_is_help=True)
out = console()


@app.command("city")
def city(
    people: int = typer.Option(100_000, "--people", help="Number of residents"),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same city"),
    skip_existing: bool = typer.Option(
        False, "--skip-existing", help="Do nothing (and succeed) if a city already exists"
    ),
) -> None:
    """Build a deterministic synthetic city into the configured (empty) database."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.synth import rules
    from epidesk.synth.city import repository as city_repository
    from epidesk.synth.city import rules as city_rules
    from epidesk.synth.city.service import build_city

    city_rules.validate_people(people)
    rules.validate_seed(seed)
    engine = get_engine()
    check_connection(engine)
    if skip_existing:
        with session_scope() as session:
            existing = city_repository.first_city(session)
            if existing is not None:
                out.print(f"the database already holds the city {existing.name}; "
                          "nothing built")
                return
    with progress_bars(out, width=22) as progress, session_scope() as session:
        summary = build_city(session, people=people, seed=seed, progress=progress)
    out.print(summary_table(summary))


def summary_table(summary: CitySummary) -> Table:
    """The rows written per table and the time each phase took."""
    written = table(out, "table", "rows", right=("rows",),
                    title=f"{summary.city}: {summary.people:,} residents, seed {summary.seed} "
                          f"({summary.backend})")
    for name, count in summary.rows.items():
        written.add_row(name, f"{count:,}")
    written.add_section()
    written.add_row("generate", f"{summary.generate_seconds:.1f} s")
    if summary.encode_seconds:
        written.add_row("encode", f"{summary.encode_seconds:.1f} s")
    written.add_row("write", f"{summary.copy_seconds:.1f} s")
    written.add_row("keys and indexes", f"{summary.index_seconds:.1f} s")
    written.add_row("total (phases overlap)" if summary.encode_seconds else "total",
                  f"{summary.seconds:.1f} s")
    return written


@app.command("outbreak")
def outbreak(
    days: int = typer.Option(14, "--days", help="Days to simulate and write"),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same files"),
    out_dir: Path = typer.Option(Path("var/outbreak"), "--out", help="Folder to write to"),
    replay: bool = typer.Option(
        False, "--replay", help="Also feed every day through the platform, day by day"),
    first_day: str = typer.Option(
        "", "--first-day", help="First day (YYYY-MM-DD); default: the last day is yesterday"),
    target_daily: float | None = typer.Option(
        None, "--target-daily", show_default=False,
        help="Mean new infections a day the scenario is calibrated to (default: the "
             "Jining-like scenario's)"),
    pool_size: int = typer.Option(
        0, "--pool-size", help="Swabs per pooled tube in mass rounds (default: 10, or the "
                               "preset's largest validated size)"),
    skip_existing: bool = typer.Option(
        False, "--skip-existing", help="Do nothing (and succeed) if the database holds cases"),
) -> None:
    """Simulate an outbreak on the city: lab batches, visit logs, symptom onsets per day."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.synth import rules
    from epidesk.synth.outbreak import rules as outbreak_rules
    from epidesk.synth.outbreak import service

    if target_daily is None:
        target_daily = outbreak_rules.JINING_LIKE.target_daily
    outbreak_rules.validate_outbreak_days(days)
    rules.validate_seed(seed)
    outbreak_rules.validate_target_daily(target_daily)
    first = _parse_day(first_day) if first_day else None
    check_connection(get_engine())
    with session_scope() as session:
        if skip_existing and service.has_cases(session):
            out.print("the database already holds cases; no outbreak written or replayed")
            return
        with progress_bars(out, {"calibrate": "calibrating", "write": "writing days"},
                           width=22) as progress:
            summary = service.generate_outbreak(
                session, days=days, seed=seed, out=out_dir, first_day=first,
                target_daily=target_daily, pool_size=pool_size or None, progress=progress)
    out.print(scenario_table(summary))
    if replay:
        replay_days(out_dir)


def _parse_day(text: str) -> date:
    from epidesk.errors import ValidationFailedError

    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailedError(f"the first day must be a date (YYYY-MM-DD), not {text!r}"
                                    ) from exc


def replay_days(out_dir: Path) -> None:
    """Feed every day of a written scenario through the platform, one commit per day."""
    from epidesk.db import session_scope
    from epidesk.synth.outbreak import service

    started = time.perf_counter()
    days = service.read_manifest(out_dir)
    results: list[service.DayReplay] = []
    with progress_bars(out, width=22) as progress:
        progress("replaying days", 0, len(days))
        for done, day in enumerate(days, 1):
            with session_scope() as session:
                results.append(service.replay_day(session, day=day))
            progress("replaying days", done, len(days))
    with session_scope() as session:
        counts = service.outbreak_counts(session)
    out.print(replay_table(results, counts, time.perf_counter() - started))


def scenario_table(summary: service.OutbreakSummary) -> Table:
    """The scenario's truth per day and what was written."""
    # Onsets per day need a wide console (the caption counts them all).
    names = ("date", "new", "found", *(("onsets",) if wide(out) else ()), "infectious",
             "isolated", "quarantined", "tubes", "positive")
    days = table(out, *names, right=names,
                 title=f"Outbreak on {summary.city} ({summary.people:,} residents, seed "
                       f"{summary.seed}): {summary.mean_daily_infections:.1f} new "
                       f"infections a day (target {summary.target_daily:g})")
    for d in summary.daily:
        values = {"date": d["date"], "new": d["infections"], "found": d["detected"],
                  "onsets": d["symptom_onsets"], "infectious": d["infectious"],
                  "isolated": d["isolated"], "quarantined": d["quarantined"],
                  "tubes": d["tubes_released"], "positive": d["positive_tubes_released"]}
        days.add_row(*(v if isinstance(v := values[n], str) else f"{v:,}" for n in names))
    days.add_section()
    totals = {"date": "total", "new": f"{summary.infections:,}",
              "found": f"{summary.detected:,}", "tubes": f"{summary.tubes:,}"}
    days.add_row(*(totals.get(n, "") for n in names))
    days.caption = (f"{summary.out}: {summary.batches} lab batches, {summary.samples:,} "
                     f"samples, {summary.visits:,} venue visits, {summary.onsets} onsets; "
                     f"pools of {summary.pool_size} ({summary.preset}); transmission scale "
                     f"{summary.scale:.2f} after {summary.calibration_runs} runs; "
                     f"{summary.seconds:.1f} s")
    return days


def replay_table(results: list[service.DayReplay], counts: dict[str, int],
                 seconds: float) -> Table:
    """What the replay did per day, then the platform's totals."""
    # Reclassifications per day need a wide console (the caption counts them all).
    names = ("date", "visits", "batches", "samples", "cases",
             *(("reclass.",) if wide(out) else ()), "traced", "close", "sub-close", "s")
    days = table(out, *names, right=names,
                 title=f"Replay: {len(results)} days in {seconds:.1f} s")
    for r in results:
        batches = f"{r.batches}" if not r.batches_already else f"{r.batches_already} seen"
        values = {"date": r.date.isoformat(), "visits": f"{r.visits:,}", "batches": batches,
                  "samples": f"{r.samples:,}", "cases": str(r.cases_created),
                  "reclass.": str(r.reclassified), "traced": str(r.traced_cases),
                  "close": f"{r.close_contacts:,}", "sub-close": f"{r.sub_close_contacts:,}",
                  "s": f"{r.seconds:.1f}"}
        days.add_row(*(values[n] for n in names))
    days.add_section()
    totals = {"date": "platform", "cases": f"{counts.get('cases', 0):,}",
              "close": f"{counts.get('contacts_close', 0):,}",
              "sub-close": f"{counts.get('contacts_sub_close', 0):,}"}
    days.add_row(*(totals.get(n, "") for n in names))
    days.caption = (f"cases: {counts.get('cases', 0):,} ({counts.get('cases_asymptomatic', 0):,}"
                     f" asymptomatic, {counts.get('cases_confirmed', 0):,} confirmed of which "
                     f"{counts.get('cases_reclassified', 0):,} reclassified, "
                     f"{counts.get('cases_imported', 0):,} imported); open retests: "
                     f"{counts.get('retests_open', 0):,}")
    return days


# ------------------------------------------------------------------ zones compare

DEFAULT_PRESETS = "cn-9th-2022,cn-20-measures-2022,cn-10-measures-2022"


def compare_zones(
    presets: str = typer.Option(DEFAULT_PRESETS, "--presets",
                                help="Presets to compare, separated by commas"),
    days: int = typer.Option(28, "--days", help="Days to simulate"),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed, the same run"),
    first_day: str = typer.Option("", "--first-day", help="First day (YYYY-MM-DD)"),
    target_daily: float | None = typer.Option(
        None, "--target-daily",
        help="Mean new infections a day the transmission is calibrated to (first preset; "
             "default: the Jining-like scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
) -> None:
    """Run the synthetic outbreak under each preset, closed-loop (isolation, quarantine and
    stay-home zones interrupt transmission as the preset's rules apply them), and show what
    each costs residents and what it buys, side by side."""
    import json

    from epidesk.db import session_scope
    from epidesk.errors import ValidationFailedError
    from epidesk.policy.service import get_preset
    from epidesk.synth.outbreak import rules as outbreak_rules
    from epidesk.synth.outbreak.zones import service as compare

    if target_daily is None:
        target_daily = outbreak_rules.JINING_LIKE.target_daily

    chosen = [get_preset(name.strip()) for name in presets.split(",") if name.strip()]
    if not chosen:
        raise ValidationFailedError("name at least one preset to compare")
    first = _parse_day(first_day) if first_day else None
    with session_scope() as session, progress_bars(
            out, {"calibrate": "calibrating", "presets": "presets run"}, width=22) as progress:
        found = compare.compare_presets(session, presets=chosen, days=days, seed=seed,
                                        first_day=first, target_daily=target_daily,
                                        progress=progress)
    if as_json:
        print(json.dumps([{k: v for k, v in vars(f).items()} for f in found]))
        return
    out.print(compare_table(found))
    out.print(compare_chart(found))


def compare_table(found: list[Any]) -> Table:
    """The presets side by side."""
    table = Table(title="Restriction footprint and infections, by preset",
                  title_justify="left")
    for column in ("Preset", "Resident-days restricted", "Peak restricted", "Zones opened",
                   "Days to lift", "Infections"):
        table.add_column(column, justify="left" if column == "Preset" else "right")
    for f in found:
        table.add_row(f.preset, f"{f.resident_days:,}", f"{f.peak_restricted:,}",
                      f"{f.zones_opened:,}",
                      "still open" if f.days_to_lift is None else str(f.days_to_lift),
                      f"{f.infections:,}")
    return table


def compare_chart(found: list[Any], width: int = 40) -> str:
    """Bars of resident-days restricted and of infections per preset."""
    lines: list[str] = []
    for title, key in (("Resident-days restricted", "resident_days"),
                       ("Infections", "infections")):
        top = max((getattr(f, key) for f in found), default=0) or 1
        lines.append(title)
        for f in found:
            value = getattr(f, key)
            bar = "█" * max(0, round(width * value / top))
            lines.append(f"  {f.preset:<24} {bar} {value:,}")
    return "\n".join(lines)


# `epidesk zones compare`: the zoning domain's command group, offered from here because the
# comparison runs the synthetic outbreak (zoning cannot import synth).
GROUP_COMMANDS = {"zones": {"compare": compare_zones}}
