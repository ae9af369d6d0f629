"""Use cases of classification runs: classify cases on the contact graph and write what
changed: new and withdrawn evidence, contacts identified, promoted, demoted or
withdrawn, their follow-up plans and histories, and the cases as traced."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import update
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases_repository
from epidesk.errors import NotFoundError, PermissionDeniedError
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.bulk import Categorical, Nullable
from epidesk.kit.imports import Progress, stepper
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.tracing import rules
from epidesk.tracing.decisions import repository as decisions_repository
from epidesk.tracing.decisions import rules as decision_rules
from epidesk.tracing.graph import service as graph_service
from epidesk.tracing.graph.engine import CLOSE, SUB_CLOSE, ContactGraph
from epidesk.tracing.models import Contact, TracingRun
from epidesk.tracing.repository import tracing_table, write_rows
from epidesk.tracing.retrace import repository as retrace_repository
from epidesk.tracing.runs import engine, repository
from epidesk.tracing.runs.engine import CaseBatch, Evidence, Lookup, Parameters
from epidesk.tracing.runs.rules import CaseFacts

IntArray = NDArray[np.int64]


def _stamps(seconds: NDArray[Any]) -> NDArray[np.datetime64]:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


def _windows(cases: Sequence[CaseFacts], preset: Preset, now: int, zone: tzinfo
             ) -> dict[int, tuple[int, int]]:
    return {c.id: rules.case_window(classification=c.classification,
                                    sampling_date=c.sampling_date, onset_date=c.onset_date,
                                    isolation_date=c.isolation_date, preset=preset, now=now,
                                    zone=zone)
            for c in cases}


def _batch(cases: Sequence[CaseFacts],
           windows: Mapping[int, tuple[int, int]]) -> CaseBatch:
    ordered = sorted(cases, key=lambda c: c.id)
    return CaseBatch.of([c.id for c in ordered], [c.resident_id for c in ordered],
                        [windows[c.id][0] for c in ordered], [windows[c.id][1] for c in ordered])


def run_tracing(session: Session, *, actor: str, case_ids: Sequence[int] | None = None,
                preset: Preset | None = None, now: datetime | None = None,
                graph: ContactGraph | None = None, progress: Progress | None = None,
                followed: int | None = None, retraced: int | None = None,
                scope: str | None = None) -> TracingRun:
    """Classify cases and write what changed; every active case when case_ids is None.

    `followed` is the newest case event the run accounts for (see `follow_case_changes`),
    `retraced` the newest retrace request; a run over every case accounts for all of them.

    With case_ids, the cases whose contacts depend on them are classified again too:
    cases that have one of their residents as a close contact, and cases whose
    resident is a close contact of one of them. A withdrawn case among them loses its
    evidence; classifications that rested on it alone are withdrawn.
    """
    started = time.perf_counter()
    step = stepper(progress)
    zone = clock.city_zone()
    preset = preset or active_preset()
    moment = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    t_now = rules.seconds_of(moment)
    params = Parameters.of(rules.tracing_rules(preset), t_now)
    active = [CaseFacts(*row) for row in cases_repository.active_episode_rows(session)]
    by_id = {c.id: c for c in active}
    by_resident: dict[int, list[int]] = {}
    for c in active:
        by_resident.setdefault(c.resident_id, []).append(c.id)
    windows = _windows(active, preset, t_now, zone)
    step("cases")
    if case_ids is None:
        batch_ids = set(by_id)
        withdrawn = repository.cases_with_active_evidence(session) - batch_ids
    else:
        requested = [CaseFacts(*row) for row in cases_repository.episode_rows(session, case_ids)]
        missing = set(case_ids) - {c.id for c in requested}
        if missing:
            raise NotFoundError(f"no case {min(missing)}")
        batch_ids = {c.id for c in requested if c.status == "active"}
        withdrawn = {c.id for c in requested if c.status != "active"}
        touched_residents = [c.resident_id for c in requested]
        batch_ids |= retrace_repository.cases_with_close_contacts(
            session, touched_residents) & set(by_id)
        for r in repository.close_contacts_of_cases(session, sorted(withdrawn)):
            batch_ids |= set(by_resident.get(r, ()))
    # Read before this run writes anything, so that a large graph may be read in parallel.
    graph = graph if graph is not None else graph_service.current_graph(session)
    step("graph")
    if followed is None:
        followed = (cases_repository.latest_event_id(session) if case_ids is None
                    else repository.case_event_cursor(session))
    if retraced is None:
        retraced = (repository.latest_retrace_request(session) if case_ids is None
                    else repository.retrace_cursor(session))
    run = TracingRun(started_at=moment, actor=actor[:64], preset=preset.name,
                     scope=scope or ("all" if case_ids is None else "cases"),
                     case_event_cursor=followed, retrace_cursor=retraced, cases=0,
                     cases_withdrawn=0,
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
        direct = evidence.contact[(evidence.tier == CLOSE) & (evidence.via < 0)]
        more = {i for r in np.unique(direct).tolist() for i in by_resident.get(r, ())}
        if more - batch_ids:
            batch_ids |= more
            evidence = classify(batch_ids)
    step("classify")
    counts = _persist(session, run=run, preset=preset, case_ids=batch_ids | withdrawn,
                      evidence=evidence, full=case_ids is None, now=moment, zone=zone,
                      progress=progress)
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


def _save_traced(session: Session, *, run: TracingRun, cases: Sequence[CaseFacts],
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
        for target, code in ((close, CLOSE), (sub, SUB_CLOSE)):
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


def _persist(session: Session, *, run: TracingRun, preset: Preset, case_ids: set[int],
             evidence: Evidence, full: bool, now: datetime, zone: tzinfo,
             progress: Progress | None) -> dict[str, int]:
    """Write the evidence of these cases as it now stands, and the contacts it changes."""
    old = repository.active_evidence_of_cases(session, sorted(case_ids))
    old_kept, new_known = engine.same_rows(old, evidence)
    gone = old.id[~old_kept]
    added = evidence.take(~new_known)
    repository.withdraw_evidence(session, gone.tolist(), now)
    if len(added):
        tiers = tuple(rules.TIER_OF_CODE[c] for c in sorted(rules.TIER_OF_CODE))
        write_rows(session, tracing_table("contact_evidence"), {
            "resident_id": added.contact,
            "case_id": added.case_id,
            "tier": Categorical(tiers, added.tier.astype(np.int64) - 1),
            "setting": Categorical(rules.SETTINGS, added.setting),
            "place_id": added.place,
            "via_resident_id": Nullable(np.maximum(added.via, 0), added.via < 0),
            "overlap_start": _stamps(added.start),
            "overlap_end": _stamps(added.end),
            "status": Categorical.constant(rules.ACTIVE, len(added)),
            "found_at": np.full(len(added), np.datetime64(clock.naive_utc(now), "s")),
            "run_id": np.full(len(added), run.id, dtype=np.int64),
        }, progress=progress)
    touched = np.union1d(old.contact[~old_kept], added.contact).astype(np.int64)
    # Contacts planned under another preset are planned again under this one.
    touched = np.union1d(touched, repository.contacts_under_other_preset(
        session, preset.name, None if full else np.unique(evidence.contact))).astype(np.int64)
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
                              zone=zone, progress=progress)
    counts["evidence_added"] = len(added)
    counts["evidence_withdrawn"] = len(gone)
    return counts


def _update_contacts(session: Session, *, run: TracingRun, preset: Preset, residents: IntArray,
                     contact: IntArray, tier: IntArray, start: IntArray, end: IntArray,
                     now: datetime, zone: tzinfo, progress: Progress | None
                     ) -> dict[str, int]:
    """Bring the contact records, plans and histories of residents up to their evidence."""
    counts = {"contacts_identified": 0, "contacts_promoted": 0, "contacts_demoted": 0,
              "contacts_withdrawn": 0}
    if not len(residents):
        return counts
    session.flush()
    now_s = rules.seconds_of(now)
    has = engine.standing(contact, tier, start, end, zone)
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
    other_preset = np.zeros(len(has.resident), dtype=bool)
    if len(stored.resident):
        other_preset[known] = stored.preset[at[known]] != preset.name
        was_active[known] = stored.active[at[known]]
        was_tier[known] = stored.tier[at[known]]
        was_last[known] = stored.last[at[known]]
        was_first[known] = stored.first[at[known]]
        was_day[known] = stored.last_day[at[known]]
    # An investigator's decision holds until a new exposure: its residents are left as
    # decided unless their evidence now reaches past the exposure it was made on.
    lost = np.setdiff1d(stored.resident[stored.active], has.resident)
    held, lapsed = _decisions(session, has.resident, has.last_end, lost, now=now)
    known &= ~held
    reinstated = known & ~was_active
    promoted = known & was_active & (has.tier < was_tier)
    demoted = known & was_active & (has.tier > was_tier)
    moved = known & was_active & (has.tier == was_tier) & (has.last_day != was_day)
    changed = known & (reinstated | promoted | demoted | (has.last_end != was_last)
                       | (has.first != was_first) | other_preset | lapsed)
    tiers = (rules.CLOSE, rules.SUB_CLOSE)
    if fresh.any():
        n = int(fresh.sum())
        write_rows(session, tracing_table("contact"), {
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
        if lapsed[i]:
            change["decided_end_on"] = None
        if reinstated[i]:
            change.update(status=rules.ACTIVE, withdrawn_at=None, isolated_at=now)
        changes.append(change)
    lost_at = np.searchsorted(stored.resident, lost)
    for i in lost_at.tolist():
        changes.append({"id": int(stored.id[i]), "status": rules.WITHDRAWN, "withdrawn_at": now,
                        "updated_at": now, "decided_end_on": None})
    if changes:
        session.execute(update(Contact), changes)
    counts["contacts_identified"] = int(fresh.sum() + reinstated.sum())
    counts["contacts_promoted"] = int(promoted.sum())
    counts["contacts_demoted"] = int(demoted.sum())
    counts["contacts_withdrawn"] = len(lost)
    replan = fresh | reinstated | promoted | demoted | moved | (known & other_preset)
    repository.delete_follow_up(session, np.concatenate([lost, has.resident[replan & ~fresh]]))
    unsuitable = people.in_unsuitable_homes(session, has.resident[replan].tolist())
    _write_plans(session, has.resident[replan], has.tier[replan], has.last_day[replan], preset,
                 zone, unsuitable)
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


def _decisions(session: Session, residents: IntArray, last_end: IntArray, lost: IntArray, *,
               now: datetime) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which residents an investigator's decision holds for (their evidence reaches no
    later than the exposure it was made on) and whose decision lapses with a new exposure;
    those, and the decisions of contacts left with no evidence (`lost`), are ended."""
    decided = decisions_repository.all_holding(session)
    held = np.zeros(len(residents), dtype=bool)
    lapsed = np.zeros(len(residents), dtype=bool)
    if not decided:
        return held, lapsed
    for i in np.flatnonzero(np.isin(residents, np.fromiter(decided, dtype=np.int64))).tolist():
        decision = decided[int(residents[i])]
        if int(last_end[i]) <= rules.seconds_of(clock.aware(decision.last_exposure_at)):
            held[i] = True
        else:
            lapsed[i] = True
    ended_new = [decided[r].id for r in residents[lapsed].tolist()]
    gone = [decided[r].id for r in lost.tolist()
            if r in decided and decided[r].status == rules.ACTIVE]
    decisions_repository.end(session, ended_new, at=now, reason=decision_rules.NEW_EXPOSURE)
    decisions_repository.end(session, gone, at=now, reason=decision_rules.NO_EVIDENCE)
    return held, lapsed


def _write_plans(session: Session, residents: IntArray, tiers: IntArray,
                 last_days: NDArray[np.datetime64], preset: Preset, zone: tzinfo,
                 unsuitable: set[int]) -> None:
    """Follow-up tests for each resident, from the preset's plan for its tier, day 0 and
    whether its home suits home quarantine."""
    if not len(residents):
        return
    at_unsuitable = np.isin(residents, np.asarray(sorted(unsuitable), dtype=np.int64))
    key = (at_unsuitable.astype(np.int64) * 10 + tiers) * 10**6 + last_days.astype(np.int64)
    parts: list[tuple[IntArray, rules.PlannedTest]] = []
    for value in np.unique(key).tolist():
        tier = rules.TIER_OF_CODE[(value // 10**6) % 10]
        day0 = np.datetime64(value % 10**6, "D").item()
        who = residents[key == value]
        parts += [(who, test) for test in rules.follow_up_plan(
            tier, day0, preset, home_suitable=value // 10**7 == 0)]
    if not parts:
        return
    resident = np.concatenate([who for who, _ in parts])
    sizes = [len(who) for who, _ in parts]
    tests = [test for _, test in parts]
    due = np.repeat(np.asarray([t.due_on for t in tests], dtype="datetime64[D]"), sizes)
    start = clock.local_midnights(due, zone)
    next_day = (due.astype(np.int64) + 1).astype("datetime64[D]")
    categories = sorted({t.category for t in tests})
    places = sorted({t.place for t in tests})
    write_rows(session, tracing_table("follow_up_test"), {
        "resident_id": resident,
        "category": Categorical(categories, np.repeat(
            [categories.index(t.category) for t in tests], sizes)),
        "day": np.repeat([t.day for t in tests], sizes).astype(np.int64),
        "due_on": due,
        "due_from": _stamps(start),
        "due_until": _stamps(clock.local_midnights(next_day, zone)),
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
    write_rows(session, tracing_table("contact_event"), {
        "resident_id": np.concatenate([p[0] for p in parts]),
        "at": np.full(n, np.datetime64(clock.naive_utc(now), "s")),
        "kind": Categorical(kinds, np.repeat(np.arange(len(kinds)), sizes)),
        "tier": Categorical((rules.CLOSE, rules.SUB_CLOSE),
                            np.concatenate([p[2] for p in parts]).astype(np.int64) - 1),
        "note": Categorical(notes, note_codes),
        "run_id": np.full(n, run.id, dtype=np.int64),
    })


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
