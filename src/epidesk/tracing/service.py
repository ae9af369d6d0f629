"""Use cases of the tracing domain: exposure data in, contacts with evidence out.

- Visit logs are imported like lab batches: validated whole, rejected whole with a
  report, and the same file twice changes nothing.
- A tracing run classifies cases on the contact graph (held in memory, refreshed with
  new visits) and writes the differences: new evidence, withdrawn evidence, contacts
  identified, promoted, demoted or withdrawn, and their follow-up plans.
- Case changes are followed: each case event (reported, linked, reclassified, withdrawn)
  is pending until a run accounts for it. `follow_case_changes` classifies exactly those
  cases (and the cases they affect); `consume_batch` does it as a step of a lab batch
  ingest, and `withdraw_case` right after a withdrawal.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.db import is_postgres
from epidesk.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from epidesk.kit import bulk
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.bulk import Categorical, Nullable
from epidesk.people.models import Resident
from epidesk.policy.schemas import PLACE_LABELS, Preset
from epidesk.policy.service import active_preset
from epidesk.testing import service as testing
from epidesk.testing.models import Sample, Tube
from epidesk.testing.rules import FILE_LINE, Problem, Report
from epidesk.testing.service import AcceptedBatch, IngestResult
from epidesk.tracing import engine, repository, rules
from epidesk.tracing.engine import CaseBatch, ContactGraph, Evidence, Lookup, Parameters
from epidesk.tracing.models import (
    Contact,
    ContactEvent,
    ContactEvidence,
    Exposure,
    FollowUpTest,
    TracedCase,
    TracingRun,
    VenueVisit,
    VisitLog,
)

Progress = Callable[[str, int, int], None]
ACCEPTED = "accepted"
REJECTED = "rejected"
MAX_LIST = 500
IntArray = NDArray[np.int64]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamps(seconds: NDArray[Any]) -> NDArray[np.datetime64]:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


def _step(progress: Progress | None) -> Callable[..., None]:
    def step(label: str, done: int = 1, total: int = 1) -> None:
        """Report a step to the progress callback, if any."""
        if progress is not None:
            progress(label, done, total)

    return step


# ------------------------------------------------------------------ visit logs


@dataclass
class VisitImport:
    """The outcome of importing one visit log."""

    log: VisitLog
    already_imported: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the log's visits are (or were already) stored."""
        return self.log.status == ACCEPTED


def import_visits_file(session: Session, *, path: str | Path, received_by: str,
                       now: datetime | None = None, progress: Progress | None = None
                       ) -> VisitImport:
    """Import a visit log CSV from disk; see import_visits."""
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror}") from exc
    return import_visits(session, content=content, filename=source.name,
                         received_by=received_by, now=now, progress=progress)


def import_visits(session: Session, *, content: bytes, filename: str, received_by: str,
                  now: datetime | None = None, progress: Progress | None = None
                  ) -> VisitImport:
    """Validate a visit log whole, then store its visits, or record why it was rejected.

    An accepted file sent again changes nothing; a rejected one writes only its
    rejection record (with the report), never part of its visits.
    """
    started = time.perf_counter()
    moment = (now or _now()).astimezone(UTC)
    step = _step(progress)
    digest = hashlib.sha256(content).hexdigest()
    existing = repository.log_by_digest(session, digest)
    if existing is not None and existing.status == ACCEPTED:
        return VisitImport(log=existing, already_imported=True)
    step("read", 0)
    try:
        table = engine.read_visit_log(content)
    except engine.UnreadableVisitLog as exc:
        report = engine.visit_report(None, file_problems=[Problem(
            FILE_LINE, "", "unreadable_file", f"not a readable CSV file: {exc}")])
        return _reject(session, digest=digest, filename=filename, received_by=received_by,
                       now=moment, report=report, parsed=None, started=started,
                       existing=existing)
    parsed = engine.parse_visits(table)
    del table
    step("read")
    engine.validate_visits(parsed, residents=engine.bitmap(repository.resident_ids(session)),
                           venues=engine.bitmap(repository.venue_ids(session)),
                           now=rules.seconds_of(moment))
    step("validate")
    if not parsed.ok:
        return _reject(session, digest=digest, filename=filename, received_by=received_by,
                       now=moment, report=engine.visit_report(parsed), parsed=parsed,
                       started=started, existing=existing)
    try:
        # The unique index on (resident, venue, arrival) finds visits imported before
        # while writing; a violation rolls the writes back and is then reported in full.
        with session.begin_nested():
            log = _write_visits(session, parsed, digest=digest, filename=filename,
                                received_by=received_by, now=moment, existing=existing,
                                progress=progress)
            log.seconds = round(time.perf_counter() - started, 3)
            session.flush()
    except IntegrityError:
        found = repository.existing_visits(session, parsed.resident_id, parsed.venue_id,
                                           parsed.started_at)
        if not len(found[0]):
            raise
        if existing is not None:
            session.refresh(existing)
        rows = engine.rows_of_visits(parsed, *found)
        finding = engine.Finding("visit_exists", "started_at", rows,
                                 lambda r: "this visit was already imported from another file")
        return _reject(session, digest=digest, filename=filename, received_by=received_by,
                       now=moment, report=engine.visit_report(parsed, [finding]),
                       parsed=parsed, started=started, existing=existing)
    return VisitImport(log=log, already_imported=False)


def _log_record(existing: VisitLog | None, digest: str) -> VisitLog:
    return existing or VisitLog(digest=digest, attempts=0)


def _reject(session: Session, *, digest: str, filename: str, received_by: str,
            now: datetime, report: Report, parsed: engine.ParsedVisits | None, started: float,
            existing: VisitLog | None) -> VisitImport:
    record = _log_record(existing or repository.log_by_digest(session, digest), digest)
    record.filename = filename[:255]
    record.status = REJECTED
    record.received_at = now
    record.received_by = received_by[:64]
    record.attempts = (record.attempts or 0) + 1
    record.rows = parsed.rows if parsed else 0
    record.residents = record.venues = 0
    record.first_visit_at = record.last_visit_at = None
    record.problems = json.dumps([p.as_dict() for p in report.problems], ensure_ascii=False)
    record.problem_counts = json.dumps(dict(report.counts))
    record.problem_count = report.total
    record.seconds = round(time.perf_counter() - started, 3)
    session.add(record)
    session.flush()
    return VisitImport(log=record, already_imported=False, report=report)


def _write_visits(session: Session, parsed: engine.ParsedVisits, *, digest: str,
                  filename: str, received_by: str, now: datetime, existing: VisitLog | None,
                  progress: Progress | None) -> VisitLog:
    record = _log_record(existing, digest)
    record.filename = filename[:255]
    record.status = ACCEPTED
    record.received_at = now
    record.received_by = received_by[:64]
    record.attempts = (record.attempts or 0) + 1
    record.rows = parsed.rows
    record.residents = len(np.unique(parsed.resident_id))
    record.venues = len(np.unique(parsed.venue_id))
    record.first_visit_at = rules.moment_of(int(parsed.started_at.min()))
    record.last_visit_at = rules.moment_of(int(parsed.ended_at.max()))
    record.problems = record.problem_counts = None
    record.problem_count = 0
    record.seconds = 0.0
    session.add(record)
    session.flush()
    repository.write_rows(session, repository.tracing_table("venue_visit"), {
        "resident_id": parsed.resident_id,
        "venue_id": parsed.venue_id,
        "started_at": _stamps(parsed.started_at),
        "ended_at": _stamps(parsed.ended_at),
        "log_id": np.full(parsed.rows, record.id, dtype=np.int64),
    }, progress=progress)
    return record


def get_visit_log(session: Session, *, log_id: int) -> VisitLog:
    """A visit log by id, or NotFoundError."""
    found = repository.visit_log(session, log_id)
    if found is None:
        raise NotFoundError(f"no visit log {log_id}")
    return found


def list_visit_logs(session: Session, *, limit: int = 50, offset: int = 0
                    ) -> Sequence[VisitLog]:
    """Visit logs, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    return repository.visit_logs(session, limit=limit, offset=offset)


def log_problems(log: VisitLog) -> list[dict[str, Any]]:
    """The listed problems of a rejected log."""
    return list(json.loads(log.problems)) if log.problems else []


def log_problem_counts(log: VisitLog) -> dict[str, int]:
    """How many problems of each kind a rejected log had."""
    return dict(json.loads(log.problem_counts)) if log.problem_counts else {}


# ------------------------------------------------------------------ synthetic visits


@dataclass(frozen=True)
class SynthesizedVisits:
    """What synthesize_visits wrote."""

    visits: int
    first_day: date
    days: int
    seed: int
    seconds: float


def synthesize_visits(session: Session, *, days: int = 14, seed: int = 1,
                      first_day: date | None = None, progress: Progress | None = None
                      ) -> SynthesizedVisits:
    """Generate venue visits of every resident over `days` days and write them.

    The same seed, first day and city give the same visits. On PostgreSQL an empty
    visit table has its indexes rebuilt once after the load.
    """
    if not 1 <= days <= 366:
        raise ValidationFailedError(f"days must be between 1 and 366, not {days}")
    started = time.perf_counter()
    first = first_day or (datetime.now(UTC).date() - timedelta(days=days))
    residents, communities = repository.residents_with_community(session)
    venue_id, venue_community, kinds = repository.venues_with_kind(session)
    if not len(residents) or not len(venue_id):
        raise ConflictError("the database holds no residents or no venues: build a city first")
    table = repository.tracing_table("venue_visit")
    fresh = repository.visit_count(session) == 0
    suspended = (bulk.suspend_constraints(session, [table]) if fresh and is_postgres(session)
                 else None)
    if suspended is not None:
        bulk.tune_session_for_bulk_load(session)
    written = 0
    total = len(residents)
    done = 0
    chunk = 1_000_000
    for resident, venue, start, end in engine.synthetic_visits(
            residents, communities, engine.VenueTable(venue_id, venue_community, kinds),
            first_day=rules.local_midnight(first), days=days, seed=seed, chunk=chunk):
        written += repository.write_rows(session, table, {
            "resident_id": resident, "venue_id": venue, "started_at": _stamps(start),
            "ended_at": _stamps(end)})
        done = min(total, done + chunk)
        if progress is not None:
            progress("visits", done, total)
    if suspended is not None:
        suspended.restore(session, progress=progress)
    session.flush()
    return SynthesizedVisits(visits=written, first_day=first, days=days, seed=seed,
                             seconds=round(time.perf_counter() - started, 3))


# ------------------------------------------------------------------ recorded exposures


def record_exposure(session: Session, *, resident_a: int, resident_b: int, at: datetime,
                    setting: str, protected: bool = False, place: str = "",
                    note: str | None = None, recorded_by: str, preset: Preset | None = None,
                    now: datetime | None = None) -> Exposure:
    """Record an exposure between two residents (a setting of the preset's close settings)."""
    preset = preset or active_preset()
    moment = (now or _now()).astimezone(UTC)
    problem = rules.exposure_problem(resident_a=resident_a, resident_b=resident_b, at=at,
                                     setting=setting,
                                     settings=preset.contacts.close_settings.settings,
                                     now=moment)
    if problem:
        raise ValidationFailedError(problem)
    missing = {resident_a, resident_b} - repository.residents_exist(session,
                                                                   [resident_a, resident_b])
    if missing:
        raise NotFoundError(f"no resident {min(missing)}")
    exposure = Exposure(resident_a_id=resident_a, resident_b_id=resident_b,
                        at=at.astimezone(UTC).replace(microsecond=0), setting=setting,
                        protected=protected,
                        place=place.strip()[:200], note=(note or "").strip() or None,
                        recorded_by=recorded_by[:64], recorded_at=moment)
    session.add(exposure)
    session.flush()
    return exposure


def resident_area(session: Session, *, resident_id: int) -> AreaPath | None:
    """Where a resident lives, or None when there is no such resident."""
    return repository.resident_area(session, resident_id)


# ------------------------------------------------------------------ the graph in memory


@dataclass
class _CachedGraph:
    graph: ContactGraph
    stamp: repository.GraphStamp
    visits: int


_graphs: dict[str, _CachedGraph] = {}
_graphs_lock = threading.Lock()


def load_graph(session: Session) -> ContactGraph:
    """Read every membership, exposure and visit and index them."""
    return engine.build_graph(repository.graph_arrays(session))


def refresh_graph(session: Session, graph: ContactGraph) -> int:
    """Add the visits stored since the graph was loaded (delta segment); returns how many."""
    top = repository.max_visit_id(session)
    if top <= graph.visit_watermark:
        return 0
    resident, venue, start, end = repository.visit_columns(
        session, after=graph.visit_watermark, up_to=top)
    graph.add_visits(resident, venue, start, end, watermark=top)
    return len(resident)


def current_graph(session: Session, *, cache: bool | None = None) -> ContactGraph:
    """The contact graph as this session sees it.

    On PostgreSQL the graph stays in memory between runs: new visits are added to it,
    and it is read again when household, work-group or class memberships or exposures
    changed, or when visits it holds were removed. SQLite databases are small and read
    every time.
    """
    use_cache = is_postgres(session) if cache is None else cache
    if not use_cache:
        return load_graph(session)
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _graphs_lock:
        stamp = repository.graph_stamp(session)
        entry = _graphs.get(key)
        same = entry is not None and (
            (entry.stamp.households, entry.stamp.work, entry.stamp.classes)
            == (stamp.households, stamp.work, stamp.classes)
            and repository.visits_up_to(session, entry.graph.visit_watermark) == entry.visits)
        if entry is not None and same:
            if entry.stamp.exposures != stamp.exposures:
                engine.with_exposures(entry.graph, *_exposure_arrays(session))
                entry.stamp = stamp
            entry.visits += refresh_graph(session, entry.graph)
            return entry.graph
        graph = load_graph(session)
        _graphs[key] = _CachedGraph(graph=graph, stamp=stamp, visits=graph.visit_count)
        return graph


def _exposure_arrays(session: Session) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    ids, a, b, at = repository.exposure_columns(session)
    return a, b, at, ids


def forget_graphs() -> None:
    """Drop every graph held in memory."""
    with _graphs_lock:
        _graphs.clear()


# ------------------------------------------------------------------ tracing runs


def _windows(cases: Sequence[repository.CaseFacts], preset: Preset, now: int
             ) -> dict[int, tuple[int, int]]:
    return {c.id: rules.case_window(classification=c.classification,
                                    sampling_date=c.sampling_date, onset_date=c.onset_date,
                                    isolation_date=c.isolation_date, preset=preset, now=now)
            for c in cases}


def _batch(cases: Sequence[repository.CaseFacts],
           windows: Mapping[int, tuple[int, int]]) -> CaseBatch:
    ordered = sorted(cases, key=lambda c: c.id)
    return CaseBatch.of([c.id for c in ordered], [c.resident_id for c in ordered],
                        [windows[c.id][0] for c in ordered], [windows[c.id][1] for c in ordered])


def run_tracing(session: Session, *, actor: str, case_ids: Sequence[int] | None = None,
                preset: Preset | None = None, now: datetime | None = None,
                graph: ContactGraph | None = None, progress: Progress | None = None,
                followed: int | None = None, scope: str | None = None) -> TracingRun:
    """Classify cases and write what changed; every active case when case_ids is None.

    `followed` is the newest case event the run accounts for (see `follow_case_changes`);
    a run over every case accounts for all of them.

    With case_ids, the cases whose contacts depend on them are classified again too:
    cases that have one of their residents as a close contact, and cases whose
    resident is a close contact of one of them. A withdrawn case among them loses its
    evidence; classifications that rested on it alone are withdrawn.
    """
    started = time.perf_counter()
    step = _step(progress)
    preset = preset or active_preset()
    moment = (now or _now()).astimezone(UTC).replace(microsecond=0)
    t_now = rules.seconds_of(moment)
    params = Parameters.of(rules.tracing_rules(preset), t_now)
    active = repository.active_cases(session)
    by_id = {c.id: c for c in active}
    by_resident: dict[int, list[int]] = {}
    for c in active:
        by_resident.setdefault(c.resident_id, []).append(c.id)
    windows = _windows(active, preset, t_now)
    step("cases")
    if case_ids is None:
        batch_ids = set(by_id)
        withdrawn = repository.cases_with_active_evidence(session) - batch_ids
    else:
        requested = repository.cases_by_id(session, case_ids)
        missing = set(case_ids) - {c.id for c in requested}
        if missing:
            raise NotFoundError(f"no case {min(missing)}")
        batch_ids = {c.id for c in requested if c.status == "active"}
        withdrawn = {c.id for c in requested if c.status != "active"}
        touched_residents = [c.resident_id for c in requested]
        batch_ids |= repository.cases_with_close_contacts(session, touched_residents) & set(by_id)
        for r in repository.close_contacts_of_cases(session, sorted(withdrawn)):
            batch_ids |= set(by_resident.get(r, ()))
    # Read before this run writes anything, so that a large graph may be read in parallel.
    graph = graph if graph is not None else current_graph(session)
    step("graph")
    if followed is None:
        followed = (repository.case_event_head(session) if case_ids is None
                    else repository.case_event_cursor(session))
    run = TracingRun(started_at=moment, actor=actor[:64], preset=preset.name,
                     scope=scope or ("all" if case_ids is None else "cases"),
                     case_event_cursor=followed, cases=0, cases_withdrawn=0,
                     evidence_added=0, evidence_withdrawn=0, contacts_identified=0,
                     contacts_promoted=0, contacts_demoted=0, contacts_withdrawn=0,
                     close_contacts=0, sub_close_contacts=0, seconds=0.0)
    session.add(run)
    session.flush()
    isolated_r, isolated_t = repository.isolations(session)
    case_r = np.asarray([c.resident_id for c in active], dtype=np.int64)
    case_end = np.asarray([windows[c.id][1] for c in active], dtype=np.int64)
    isolation = Lookup.of(np.concatenate([isolated_r, case_r]),
                          np.concatenate([isolated_t, case_end]))

    def classify(ids: set[int]) -> Evidence:
        """The evidence of these cases, with earlier exposures of the others as prior."""
        cases = [by_id[i] for i in ids]
        prior = Lookup.empty()
        if case_ids is not None:
            keys, values = repository.prior_first_exposures(
                session, [c.resident_id for c in cases], sorted(ids | withdrawn))
            prior = Lookup.of(keys, values)
        return engine.classify(graph, _batch(cases, windows), params, isolation=isolation,
                               prior=prior)

    evidence = classify(batch_ids)
    if case_ids is not None:
        direct = evidence.contact[(evidence.tier == engine.CLOSE) & (evidence.via < 0)]
        more = {i for r in np.unique(direct).tolist() for i in by_resident.get(r, ())}
        if more - batch_ids:
            batch_ids |= more
            evidence = classify(batch_ids)
    step("classify")
    counts = _persist(session, run=run, preset=preset, case_ids=batch_ids | withdrawn,
                      evidence=evidence, full=case_ids is None, now=moment, progress=progress)
    _save_traced(session, run=run, cases=[by_id[i] for i in batch_ids], withdrawn=withdrawn,
                 windows=windows, evidence=evidence, now=moment)
    tiers = repository.contact_counts(session)
    run.cases = len(batch_ids)
    run.cases_withdrawn = len(withdrawn)
    for name, value in counts.items():
        setattr(run, name, value)
    run.close_contacts = tiers.get(rules.CLOSE, 0)
    run.sub_close_contacts = tiers.get(rules.SUB_CLOSE, 0)
    run.seconds = round(time.perf_counter() - started, 3)
    session.flush()
    step("done")
    return run


DAY = 86_400
OFFSET = int(rules.CITY_UTC_OFFSET.total_seconds())


def _local_days(seconds: IntArray) -> NDArray[np.datetime64]:
    """The city's civil dates of instants (seconds since the epoch)."""
    return ((seconds + OFFSET) // DAY).astype("datetime64[D]")


def _save_traced(session: Session, *, run: TracingRun, cases: Sequence[repository.CaseFacts],
                 withdrawn: set[int], windows: Mapping[int, tuple[int, int]],
                 evidence: Evidence, now: datetime) -> None:
    close: dict[int, int] = {}
    sub: dict[int, int] = {}
    if len(evidence):
        # Each (case, contact) once, with its best tier for that case.
        key = (evidence.case_id << 32) | evidence.contact
        order = np.lexsort((evidence.tier, key))
        heads = np.ones(len(order), dtype=bool)
        heads[1:] = key[order][1:] != key[order][:-1]
        best = evidence.tier[order][heads]
        case_of = evidence.case_id[order][heads]
        for target, code in ((close, engine.CLOSE), (sub, engine.SUB_CLOSE)):
            ids, counts = np.unique(case_of[best == code], return_counts=True)
            target.update(zip(ids.tolist(), counts.tolist(), strict=True))
    rows: list[dict[str, Any]] = []
    for c in cases:
        start, end = windows[c.id]
        rows.append({"case_id": c.id, "status": rules.ACTIVE,
                     "window_start": rules.moment_of(start), "window_end": rules.moment_of(end),
                     "traced_at": now, "run_id": run.id, "close_contacts": close.get(c.id, 0),
                     "sub_close_contacts": sub.get(c.id, 0)})
    known = repository.traced_cases(session, sorted(withdrawn))
    for case_id in sorted(withdrawn):
        record = known.get(case_id)
        rows.append({"case_id": case_id, "status": rules.WITHDRAWN,
                     "window_start": record.window_start if record else now,
                     "window_end": record.window_end if record else now,
                     "traced_at": now, "run_id": run.id, "close_contacts": 0,
                     "sub_close_contacts": 0})
    repository.save_traced_cases(session, rows)


def _same_rows(old: repository.EvidenceArrays, new: Evidence) -> tuple[NDArray[np.bool_],
                                                                      NDArray[np.bool_]]:
    """Which old rows are also new, and which new rows are also old (exactly)."""
    names = engine.EVIDENCE_COLUMNS
    old_kept = np.zeros(len(old), dtype=bool)
    new_known = np.zeros(len(new), dtype=bool)
    if not len(old) or not len(new):
        return old_kept, new_known
    old_cols = [np.asarray(getattr(old, n), dtype=np.int64) for n in names]
    new_cols = [np.asarray(getattr(new, n), dtype=np.int64) for n in names]
    old_digest = engine.row_digest(old_cols)
    order = np.argsort(old_digest, kind="stable")
    ordered = old_digest[order]
    at = np.minimum(np.searchsorted(ordered, engine.row_digest(new_cols)), len(order) - 1)
    candidate = order[at]
    match = ordered[at] == engine.row_digest(new_cols)
    for o, n in zip(old_cols, new_cols, strict=True):
        match &= o[candidate] == n
    new_known[match] = True
    old_kept[candidate[match]] = True
    return old_kept, new_known


def _persist(session: Session, *, run: TracingRun, preset: Preset, case_ids: set[int],
             evidence: Evidence, full: bool, now: datetime, progress: Progress | None
             ) -> dict[str, int]:
    """Write the evidence of these cases as it now stands, and the contacts it changes."""
    old = repository.active_evidence_of_cases(session, sorted(case_ids))
    old_kept, new_known = _same_rows(old, evidence)
    gone = old.id[~old_kept]
    added = evidence.take(~new_known)
    repository.withdraw_evidence(session, gone.tolist(), now)
    if len(added):
        tiers = tuple(rules.TIER_OF_CODE[c] for c in sorted(rules.TIER_OF_CODE))
        repository.write_rows(session, repository.tracing_table("contact_evidence"), {
            "resident_id": added.contact,
            "case_id": added.case_id,
            "tier": Categorical(tiers, added.tier.astype(np.int64) - 1),
            "setting": Categorical(rules.SETTINGS, added.setting),
            "place_id": added.place,
            "via_resident_id": Nullable(np.maximum(added.via, 0), added.via < 0),
            "overlap_start": _stamps(added.start),
            "overlap_end": _stamps(added.end),
            "status": Categorical.constant(rules.ACTIVE, len(added)),
            "found_at": np.full(len(added), np.datetime64(_naive(now), "s")),
            "run_id": np.full(len(added), run.id, dtype=np.int64),
        }, progress=progress)
    touched = np.union1d(old.contact[~old_kept], added.contact).astype(np.int64)
    # The touched contacts' active evidence: what this run found for its cases, and what
    # the other cases left (none when every case was classified).
    mine = np.isin(evidence.contact, touched)
    parts = [(evidence.contact[mine], evidence.tier[mine].astype(np.int64),
              evidence.start[mine], evidence.end[mine])]
    if not full and len(touched):
        others = repository.active_evidence_of_residents(session, touched,
                                                         other_than_cases=sorted(case_ids))
        parts.append((others.contact, others.tier, others.start, others.end))
    contact, tier, start, end = (np.concatenate([p[i] for p in parts]) for i in range(4))
    counts = _update_contacts(session, run=run, preset=preset, residents=touched,
                              contact=contact, tier=tier, start=start, end=end, now=now,
                              progress=progress)
    counts["evidence_added"] = len(added)
    counts["evidence_withdrawn"] = len(gone)
    return counts


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _Standing:
    """Per resident with active evidence: best tier, first exposure, last exposure."""

    resident: IntArray
    tier: IntArray
    first: IntArray
    last_end: IntArray
    last_day: NDArray[np.datetime64]


def _standing(contact: IntArray, tier: IntArray, start: IntArray, end: IntArray) -> _Standing:
    if not len(contact):
        none = np.zeros(0, dtype=np.int64)
        return _Standing(none, none, none, none, none.astype("datetime64[D]"))
    order = np.lexsort((tier, contact))
    contact, tier, start, end = contact[order], tier[order], start[order], end[order]
    heads = np.flatnonzero(np.concatenate([[True], contact[1:] != contact[:-1]]))
    group = np.cumsum(np.isin(np.arange(len(contact)), heads)) - 1
    best = tier[heads]
    of_best = tier == best[group]
    last_moment = np.where(end > start, end - 1, end)
    never = np.iinfo(np.int64).min
    return _Standing(
        resident=contact[heads], tier=best, first=np.minimum.reduceat(start, heads),
        last_end=np.maximum.reduceat(np.where(of_best, end, never), heads),
        last_day=_local_days(np.maximum.reduceat(np.where(of_best, last_moment, never),
                                                 heads)))


def _update_contacts(session: Session, *, run: TracingRun, preset: Preset, residents: IntArray,
                     contact: IntArray, tier: IntArray, start: IntArray, end: IntArray,
                     now: datetime, progress: Progress | None) -> dict[str, int]:
    """Bring the contact records, plans and histories of residents up to their evidence."""
    counts = {"contacts_identified": 0, "contacts_promoted": 0, "contacts_demoted": 0,
              "contacts_withdrawn": 0}
    if not len(residents):
        return counts
    session.flush()
    now_s = rules.seconds_of(now)
    has = _standing(contact, tier, start, end)
    stored = repository.contact_states(session, residents)
    if len(stored.resident):
        at = np.minimum(np.searchsorted(stored.resident, has.resident), len(stored.resident) - 1)
        known = stored.resident[at] == has.resident
    else:
        at = np.zeros(len(has.resident), dtype=np.int64)
        known = np.zeros(len(has.resident), dtype=bool)
    fresh = ~known
    was_active = np.zeros(len(has.resident), dtype=bool)
    was_tier = np.zeros(len(has.resident), dtype=np.int64)
    was_last = np.zeros(len(has.resident), dtype=np.int64)
    was_first = np.zeros(len(has.resident), dtype=np.int64)
    was_day = np.zeros(len(has.resident), dtype="datetime64[D]")
    if len(stored.resident):
        was_active[known] = stored.active[at[known]]
        was_tier[known] = stored.tier[at[known]]
        was_last[known] = stored.last[at[known]]
        was_first[known] = stored.first[at[known]]
        was_day[known] = stored.last_day[at[known]]
    reinstated = known & ~was_active
    promoted = known & was_active & (has.tier < was_tier)
    demoted = known & was_active & (has.tier > was_tier)
    moved = known & was_active & (has.tier == was_tier) & (has.last_day != was_day)
    changed = known & (reinstated | promoted | demoted | (has.last_end != was_last)
                       | (has.first != was_first))
    lost = np.setdiff1d(stored.resident[stored.active], has.resident)
    tiers = (rules.CLOSE, rules.SUB_CLOSE)
    if fresh.any():
        n = int(fresh.sum())
        repository.write_rows(session, repository.tracing_table("contact"), {
            "resident_id": has.resident[fresh],
            "tier": Categorical(tiers, has.tier[fresh] - 1),
            "status": Categorical.constant(rules.ACTIVE, n),
            "identified_at": _stamps(np.full(n, now_s)),
            "updated_at": _stamps(np.full(n, now_s)),
            "isolated_at": _stamps(np.full(n, now_s)),
            "first_exposure_at": _stamps(has.first[fresh]),
            "last_exposure_at": _stamps(has.last_end[fresh]),
            "last_exposure_on": has.last_day[fresh],
            "preset": Categorical.constant(preset.name, n),
        }, progress=progress)
    changes: list[dict[str, Any]] = []
    for i in np.flatnonzero(changed).tolist():
        change: dict[str, Any] = {
            "id": int(stored.id[at[i]]), "tier": tiers[int(has.tier[i]) - 1],
            "first_exposure_at": rules.moment_of(int(has.first[i])),
            "last_exposure_at": rules.moment_of(int(has.last_end[i])),
            "last_exposure_on": has.last_day[i].item(), "updated_at": now,
            "preset": preset.name}
        if reinstated[i]:
            change.update(status=rules.ACTIVE, withdrawn_at=None, isolated_at=now)
        changes.append(change)
    lost_at = np.searchsorted(stored.resident, lost)
    for i in lost_at.tolist():
        changes.append({"id": int(stored.id[i]), "status": rules.WITHDRAWN, "withdrawn_at": now,
                        "updated_at": now})
    if changes:
        session.execute(update(Contact), changes)
    counts["contacts_identified"] = int(fresh.sum() + reinstated.sum())
    counts["contacts_promoted"] = int(promoted.sum())
    counts["contacts_demoted"] = int(demoted.sum())
    counts["contacts_withdrawn"] = len(lost)
    replan = fresh | reinstated | promoted | demoted | moved
    repository.delete_follow_up(session, np.concatenate([lost, has.resident[replan & ~fresh]]))
    _write_plans(session, has.resident[replan], has.tier[replan], has.last_day[replan], preset)
    lost_tier = stored.tier[lost_at] if len(lost) else np.zeros(0, dtype=np.int64)
    _write_events(session, run=run, now=now, parts=[
        (has.resident[fresh], "identified", has.tier[fresh], None),
        (has.resident[reinstated], "reinstated", has.tier[reinstated], None),
        (has.resident[promoted], "promoted", has.tier[promoted], None),
        (has.resident[demoted], "demoted", has.tier[demoted], None),
        (lost, "withdrawn", lost_tier,
         "no evidence remains: every case it rested on was withdrawn"),
    ])
    session.flush()
    session.expire_all()
    return counts


def _write_plans(session: Session, residents: IntArray, tiers: IntArray,
                 last_days: NDArray[np.datetime64], preset: Preset) -> None:
    """Follow-up tests for each resident, from the preset's plan for its tier and day 0."""
    if not len(residents):
        return
    key = tiers * 10**6 + last_days.astype(np.int64)
    parts: list[tuple[IntArray, rules.PlannedTest]] = []
    for value in np.unique(key).tolist():
        tier = rules.TIER_OF_CODE[value // 10**6]
        day0 = np.datetime64(value % 10**6, "D").item()
        who = residents[key == value]
        parts += [(who, test) for test in rules.follow_up_plan(tier, day0, preset)]
    if not parts:
        return
    resident = np.concatenate([who for who, _ in parts])
    sizes = [len(who) for who, _ in parts]
    tests = [test for _, test in parts]
    due = np.repeat(np.asarray([t.due_on for t in tests], dtype="datetime64[D]"), sizes)
    start = due.astype(np.int64) * DAY - OFFSET
    categories = sorted({t.category for t in tests})
    places = sorted({t.place for t in tests})
    repository.write_rows(session, repository.tracing_table("follow_up_test"), {
        "resident_id": resident,
        "category": Categorical(categories, np.repeat(
            [categories.index(t.category) for t in tests], sizes)),
        "day": np.repeat([t.day for t in tests], sizes).astype(np.int64),
        "due_on": due,
        "due_from": _stamps(start),
        "due_until": _stamps(start + DAY),
        "place": Categorical(places, np.repeat([places.index(t.place) for t in tests], sizes)),
    })


def _write_events(session: Session, *, run: TracingRun, now: datetime,
                  parts: Sequence[tuple[IntArray, str, IntArray, str | None]]) -> None:
    """Contact events, each part one kind for many residents."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return
    kinds = [p[1] for p in parts]
    notes = [p[3] or "" for p in parts]
    sizes = [len(p[0]) for p in parts]
    n = sum(sizes)
    note_codes = np.repeat([notes.index(x) if x else -1 for x in notes], sizes)
    repository.write_rows(session, repository.tracing_table("contact_event"), {
        "resident_id": np.concatenate([p[0] for p in parts]),
        "at": np.full(n, np.datetime64(_naive(now), "s")),
        "kind": Categorical(kinds, np.repeat(np.arange(len(kinds)), sizes)),
        "tier": Categorical((rules.CLOSE, rules.SUB_CLOSE),
                            np.concatenate([p[2] for p in parts]).astype(np.int64) - 1),
        "note": Categorical(notes, note_codes),
        "run_id": np.full(n, run.id, dtype=np.int64),
    })


# ------------------------------------------------------------------ hooks for the case registry


@dataclass(frozen=True)
class PendingChanges:
    """Case changes no tracing run has followed yet."""

    case_ids: list[int]
    after: int
    up_to: int


def pending_changes(session: Session) -> PendingChanges:
    """The cases reported, linked, reclassified or withdrawn since the last run followed them."""
    after = repository.case_event_cursor(session)
    up_to = repository.case_event_head(session)
    ids = repository.cases_changed(session, after=after, up_to=up_to) if up_to > after else []
    return PendingChanges(case_ids=ids, after=after, up_to=up_to)


def follow_case_changes(session: Session, *, actor: str, preset: Preset | None = None,
                        now: datetime | None = None, progress: Progress | None = None
                        ) -> TracingRun | None:
    """Classify every case changed since the last run followed them; None when none did.

    New cases get their contacts; a case reclassified gets its window again; a withdrawn
    case loses its evidence, and classifications that rested on it alone are withdrawn.
    """
    pending = pending_changes(session)
    if not pending.case_ids:
        return None
    return run_tracing(session, actor=actor, case_ids=pending.case_ids, preset=preset,
                       now=now, progress=progress, followed=pending.up_to, scope="changes")


def consume_batch(session: Session, accepted: AcceptedBatch) -> Mapping[str, int]:
    """A lab-ingest step (after cases are registered): trace the batch's case changes."""
    follow_case_changes(session, actor=accepted.received_by, preset=accepted.preset,
                        now=accepted.now)
    return {}


def ingest_results(session: Session, *, content: bytes, filename: str, received_by: str,
                   preset: Preset | None = None, now: datetime | None = None,
                   progress: Progress | None = None) -> IngestResult:
    """Ingest a lab batch, register the cases it proves and trace them, in one transaction."""
    from epidesk.cases import service as cases

    return testing.ingest_batch(session, content=content, filename=filename,
                                received_by=received_by, preset=preset, now=now,
                                consumers=(cases.register_positives, consume_batch),
                                progress=progress)


def withdraw_case(session: Session, *, case_id: int, reason: str, actor: str,
                  now: datetime | None = None) -> TracingRun | None:
    """Withdraw a case and withdraw every classification that rested on it alone."""
    from epidesk.cases import service as cases

    cases.withdraw(session, case_id=case_id, reason=reason, actor=actor, now=now)
    return follow_case_changes(session, actor=actor, now=now)


def last_runs(session: Session, *, limit: int = 20) -> Sequence[TracingRun]:
    """Tracing runs, newest first."""
    return repository.last_runs(session, limit=limit)


def ensure_run_allowed(area: AreaFilter, case_paths: Sequence[AreaPath | None] | None
                       ) -> None:
    """Refuse a run over cases outside the caller's area (every case: city-wide callers)."""
    if case_paths is None:
        if not area.everywhere:
            raise PermissionDeniedError(
                "classifying every case needs the permission 'tracing.run' city-wide")
        return
    for path in case_paths:
        if path is None or not area.allows(path):
            raise NotFoundError("no case")


def case_area(session: Session, *, case_id: int) -> AreaPath | None:
    """Where a case's resident lives, or None when there is no such case."""
    episode = repository.case_episode(session, case_id)
    if episode is None:
        return None
    return repository.resident_area(session, episode.resident_id)


# ------------------------------------------------------------------ reading contacts


@dataclass(frozen=True)
class EvidenceView:
    """One piece of evidence with its names, the rule it follows, and its reason in words."""

    row: ContactEvidence
    derivation: str
    rule: str
    place: str
    case_label: str
    via_label: str | None
    for_staff: str
    for_resident: str

    @property
    def start(self) -> datetime:
        """Start of the overlap in the city's time."""
        return _aware(self.row.overlap_start).astimezone(rules.CITY_TZ)

    @property
    def end(self) -> datetime:
        """End of the overlap in the city's time."""
        return _aware(self.row.overlap_end).astimezone(rules.CITY_TZ)


@dataclass(frozen=True)
class PlannedTestView:
    """A test of the follow-up plan with its status and the samples of that day."""

    test: FollowUpTest
    status: str
    results: list[tuple[Sample, Tube]]


@dataclass(frozen=True)
class ContactDetail:
    """A resident as a contact: tier, evidence, follow-up and history."""

    resident: Resident
    area: AreaPath
    contact: Contact | None
    evidence: list[EvidenceView]
    withdrawn_evidence: list[EvidenceView]
    follow_up: list[PlannedTestView]
    events: Sequence[ContactEvent]
    became_case_on: date | None
    min_overlap_minutes: int
    preset: str

    @property
    def tier(self) -> str | None:
        """The active tier, or None."""
        if self.contact is None or self.contact.status != rules.ACTIVE:
            return None
        return self.contact.tier

    @property
    def missed(self) -> int:
        """How many planned tests were missed."""
        return sum(1 for t in self.follow_up if t.status == rules.MISSED)


def _labels(session: Session, rows: Sequence[ContactEvidence]) -> dict[tuple[str, int], str]:
    by_setting: dict[str, set[int]] = {}
    for row in rows:
        by_setting.setdefault(row.setting, set()).add(row.place_id)
    out: dict[tuple[str, int], str] = {}
    readers = {rules.HOUSEHOLD: repository.household_labels,
               rules.WORK_GROUP: repository.work_group_labels,
               rules.SCHOOL_CLASS: repository.class_labels,
               rules.VENUE: repository.venue_labels}
    for setting, ids in by_setting.items():
        if setting in readers:
            for key, label in readers[setting](session, sorted(ids)).items():
                out[(setting, key)] = label
    return out


def _case_label(episode: CaseEpisode | None, resident: Resident | None) -> str:
    if episode is None:
        return "a case"
    kind = "confirmed case" if episode.classification == "confirmed" else "asymptomatic case"
    who = f" ({resident.name_latin}, resident {resident.id})" if resident else ""
    return f"{kind} {episode.id}{who}"


def evidence_views(session: Session, rows: Sequence[ContactEvidence], *,
                   min_overlap_minutes: int, settings: Mapping[str, str]) -> list[EvidenceView]:
    """Evidence rows with names and reasons, for staff and for the resident."""
    labels = _labels(session, rows)
    exposures = repository.exposures_by_id(
        session, [r.place_id for r in rows if r.setting == rules.EXPOSURE])
    cases = {r.case_id: repository.case_episode(session, r.case_id) for r in rows}
    people = repository.residents_by_id(
        session, [*(e.resident_id for e in cases.values() if e is not None),
                  *(r.via_resident_id for r in rows if r.via_resident_id is not None)])
    out: list[EvidenceView] = []
    for row in rows:
        derivation = rules.derivation_of(row.tier, row.via_resident_id)
        exposure = exposures.get(row.place_id) if row.setting == rules.EXPOSURE else None
        if exposure is not None:
            place = exposure.place or "place not recorded"
        else:
            place = labels.get((row.setting, row.place_id), f"{row.setting} {row.place_id}")
        episode = cases.get(row.case_id)
        via = people.get(row.via_resident_id) if row.via_resident_id is not None else None
        facts = rules.EvidenceFacts(
            tier=row.tier, derivation=derivation, setting=row.setting, place=place,
            case_label=_case_label(episode, people.get(episode.resident_id)
                                   if episode else None),
            via_label=(f"{via.name_latin} (resident {via.id})" if via is not None
                       else None),
            start=rules.seconds_of(row.overlap_start), end=rules.seconds_of(row.overlap_end),
            exposure_setting=exposure.setting if exposure else None,
            exposure_setting_label=settings.get(exposure.setting) if exposure else None)
        out.append(EvidenceView(
            row=row, derivation=derivation,
            rule=rules.rule_path(row.setting, row.tier, derivation, facts.exposure_setting),
            place=place, case_label=facts.case_label, via_label=facts.via_label,
            for_staff=rules.explain_for_staff(facts, min_overlap_minutes=min_overlap_minutes),
            for_resident=rules.explain_for_resident(facts,
                                                    min_overlap_minutes=min_overlap_minutes)))
    return out


def contact_detail(session: Session, *, resident_id: int, preset: Preset | None = None,
                   today: date | None = None) -> ContactDetail:
    """A resident's classification with every piece of evidence and the follow-up plan."""
    preset = preset or active_preset()
    person = repository.resident(session, resident_id)
    path = repository.resident_area(session, resident_id)
    if person is None or path is None:
        raise NotFoundError(f"no resident {resident_id}")
    record = repository.contact(session, resident_id)
    minutes = preset.contacts.venue_co_visit.min_overlap_minutes
    settings = preset.contacts.close_settings.settings
    rows = repository.evidence_rows(session, resident_id)
    views = evidence_views(session, rows, min_overlap_minutes=minutes, settings=settings)
    today = today or datetime.now(rules.CITY_TZ).date()
    became = repository.active_case_of_residents(session, [resident_id]).get(resident_id)
    follow: list[PlannedTestView] = []
    if record is not None and record.status == rules.ACTIVE:
        for test in repository.follow_up(session, resident_id):
            results = repository.samples_between(session, resident_id,
                                                 _aware(test.due_from), _aware(test.due_until))
            status = rules.test_status(test.due_on, [test.due_on] if results else [],
                                       today=today, ended_on=became)
            follow.append(PlannedTestView(test=test, status=status, results=results))
    return ContactDetail(
        resident=person, area=path, contact=record,
        evidence=[v for v in views if v.row.status == rules.ACTIVE],
        withdrawn_evidence=[v for v in views if v.row.status != rules.ACTIVE],
        follow_up=follow, events=repository.contact_events(session, resident_id),
        became_case_on=became, min_overlap_minutes=minutes, preset=preset.name)


@dataclass(frozen=True)
class ResidentLetter:
    """What a resident is told: why (without naming anyone) and which tests to take."""

    tier: str | None
    reasons: list[str]
    rules_cited: list[str]
    tests: list[tuple[int, date, str]]
    preset: str


def resident_letter(session: Session, *, resident_id: int, preset: Preset | None = None
                    ) -> ResidentLetter:
    """The explanation given to the resident: no case and no other person is named."""
    detail = contact_detail(session, resident_id=resident_id, preset=preset)
    relevant = [v for v in detail.evidence if v.row.tier == detail.tier]
    reasons = sorted({v.for_resident for v in relevant})
    cited = sorted({v.rule for v in relevant})
    tests = [(t.test.day, t.test.due_on, PLACE_LABELS.get(t.test.place, t.test.place))
             for t in detail.follow_up]
    return ResidentLetter(tier=detail.tier, reasons=reasons, rules_cited=cited, tests=tests,
                          preset=detail.preset)


@dataclass(frozen=True)
class CaseContactRow:
    """A contact of one case: tier for that case, settings and pieces of evidence."""

    resident: Resident
    tier: str
    settings: list[str]
    pieces: int


@dataclass(frozen=True)
class CaseContacts:
    """A case's contacts by tier, as far as the caller may see them."""

    case: CaseEpisode
    resident: Resident
    area: AreaPath
    traced: TracedCase | None
    close: list[CaseContactRow]
    sub_close: list[CaseContactRow]
    hidden: int


def case_contacts(session: Session, *, case_id: int, area: AreaFilter | None = None
                  ) -> CaseContacts:
    """A case's close and sub-close contacts inside the area (and how many are not shown)."""
    episode = repository.case_episode(session, case_id)
    if episode is None:
        raise NotFoundError(f"no case {case_id}")
    person = repository.resident(session, episode.resident_id)
    path = repository.resident_area(session, episode.resident_id)
    if person is None or path is None:
        raise NotFoundError(f"no case {case_id}")
    grouped: dict[int, dict[str, Any]] = {}
    for resident_id, tier, setting, pieces in repository.case_contact_rows(session, case_id):
        entry = grouped.setdefault(resident_id, {"tiers": set(), "settings": set(),
                                                 "pieces": 0})
        entry["tiers"].add(tier)
        entry["settings"].add(setting)
        entry["pieces"] += pieces
    communities = testing.communities_of(session, area)
    visible = repository.residents_in(session, list(grouped), communities)
    people = repository.residents_by_id(session, sorted(visible))
    close: list[CaseContactRow] = []
    sub: list[CaseContactRow] = []
    for resident_id in sorted(visible):
        entry = grouped[resident_id]
        tier = rules.tier_of(entry["tiers"]) or rules.SUB_CLOSE
        row = CaseContactRow(resident=people[resident_id], tier=tier,
                             settings=sorted(entry["settings"]), pieces=entry["pieces"])
        (close if tier == rules.CLOSE else sub).append(row)
    traced = repository.traced_cases(session, [case_id]).get(case_id)
    return CaseContacts(case=episode, resident=person, area=path, traced=traced, close=close,
                        sub_close=sub, hidden=len(grouped) - len(visible))


def missed_tests(session: Session, *, area: AreaFilter | None = None, today: date | None = None,
                 limit: int = 100, offset: int = 0
                 ) -> list[tuple[FollowUpTest, Resident, Contact]]:
    """Planned tests of active contacts inside the area whose day passed without a sample."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    communities = testing.communities_of(session, area)
    if communities == []:
        return []
    day = today or datetime.now(rules.CITY_TZ).date()
    return repository.missed_tests(session, before=day, community_ids=communities,
                                   limit=limit, offset=offset)


def graph_summary(graph: ContactGraph) -> dict[str, int]:
    """Sizes of a graph in memory."""
    return {"residents": graph.residents - 1, "household_memberships": len(graph.households),
            "work_group_memberships": len(graph.work_groups),
            "school_class_memberships": len(graph.school_classes),
            "recorded_exposures": len(graph.exposures), "venue_visits": graph.visit_count}


def table_counts(session: Session) -> dict[str, int]:
    """Rows in the tracing tables that tests and commands check."""
    from sqlalchemy import func, select

    return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (("visit_log", VisitLog), ("venue_visit", VenueVisit),
                                ("contact", Contact), ("contact_evidence", ContactEvidence))}


def recent_traced_cases(session: Session, *, area: AreaFilter | None = None, limit: int = 20
                        ) -> Sequence[TracedCase]:
    """Cases as last traced (window and contact counts), newest first, inside the area."""
    communities = testing.communities_of(session, area)
    if communities == []:
        return []
    return repository.recent_traced_cases(session, community_ids=communities, limit=limit)


def get_case(session: Session, *, case_id: int) -> CaseEpisode:
    """A case by id, or NotFoundError."""
    found = repository.case_episode(session, case_id)
    if found is None:
        raise NotFoundError(f"no case {case_id}")
    return found


def get_resident(session: Session, *, resident_id: int) -> Resident:
    """A resident by id, or NotFoundError."""
    found = repository.resident(session, resident_id)
    if found is None:
        raise NotFoundError(f"no resident {resident_id}")
    return found
