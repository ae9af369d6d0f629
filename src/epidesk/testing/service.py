"""Use cases of the testing domain: ingest a lab batch, follow tubes, samples and retests."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.geography import service as places
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.bulk import Categorical, Nullable
from epidesk.kit.domains import load_models
from epidesk.people.models import Resident
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.testing import engine, repository, rules
from epidesk.testing.engine import OUTCOME_CODES, Finding, ParsedBatch
from epidesk.testing.models import LabBatch, RetestOrder, Sample, Tube
from epidesk.testing.rules import Problem, Report

Progress = Callable[[str, int, int], None]
ACCEPTED = "accepted"
REJECTED = "rejected"
MAX_LIST = 500


@dataclass(frozen=True)
class PositiveResult:
    """A positive single-tube result, handed to whoever registers cases."""

    resident_id: int
    tube_id: int
    sample_code: str
    # Times in the offset the lab wrote them in: their dates are the lab's local dates.
    collected_at: datetime
    result_at: datetime
    onset_date: date | None
    imported: bool
    # When the resident was isolated as a member of a positive pool, if they were.
    isolated_at: datetime | None


@dataclass(frozen=True)
class AcceptedBatch:
    """What an accepted batch wrote, for the steps that follow it in the same transaction."""

    batch: LabBatch
    positives: tuple[PositiveResult, ...]
    received_by: str
    now: datetime
    preset: Preset


# A step run inside the ingest's transaction after the results are written; it returns
# counts to record on the batch (e.g. {"cases_created": 3}).
Consumer = Callable[[Session, AcceptedBatch], Mapping[str, int]]


@dataclass
class IngestResult:
    """The outcome of ingesting one file."""

    batch: LabBatch
    already_ingested: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the batch's results are (or were already) in the database."""
        return self.batch.status == ACCEPTED


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: np.datetime64) -> datetime:
    moment = value.astype("datetime64[us]").item()
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ingest_file(session: Session, *, path: str | Path, received_by: str,
                preset: Preset | None = None, now: datetime | None = None,
                consumers: Sequence[Consumer] = (), progress: Progress | None = None
                ) -> IngestResult:
    """Ingest a lab batch file (CSV or Parquet) from disk; see ingest_batch."""
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror}") from exc
    return ingest_batch(session, content=content, filename=source.name, received_by=received_by,
                        preset=preset, now=now, consumers=consumers, progress=progress)


def ingest_batch(session: Session, *, content: bytes, filename: str, received_by: str,
                 preset: Preset | None = None, now: datetime | None = None,
                 consumers: Sequence[Consumer] = (), progress: Progress | None = None
                 ) -> IngestResult:
    """Validate a lab batch whole, then write its results, or record why it was rejected.

    An accepted file sent again changes nothing. A rejected batch writes only its
    rejection record (with the report); its results are never partly written.
    """
    started = time.perf_counter()
    moment = (now or _now()).astimezone(UTC)
    preset = preset or active_preset()

    def step(label: str, done: int = 1, total: int = 1) -> None:
        if progress is not None:
            progress(label, done, total)

    with ThreadPoolExecutor(max_workers=2) as pool:
        digest_job = pool.submit(lambda: hashlib.sha256(content).hexdigest())
        # The database looks up every resident id while the file is being parsed; the
        # session is used by that thread alone until its result is taken.
        residents_job = pool.submit(repository.resident_ids, session)
        step("read", 0)
        file_format = engine.file_format_of(filename, content[:4])
        try:
            table = engine.read_table(content, file_format)
        except engine.UnreadableBatch as exc:
            digest = digest_job.result()
            residents_job.result()
            report = rules.report_of([Problem(rules.FILE_LINE, "", "unreadable_file",
                                              f"not a readable {file_format.upper()} file: {exc}")])
            return _reject(session, digest=digest, filename=filename, file_format=file_format,
                           received_by=received_by, preset=preset, now=moment, report=report,
                           batch=None, started=started)
        step("read")
        batch = engine.parse(table, file_format)
        del table
        step("parse")
        digest = digest_job.result()
        resident_ids = residents_job.result()
        step("residents")
    existing = repository.batch_by_digest(session, digest)
    if existing is not None and existing.status == ACCEPTED:
        return IngestResult(batch=existing, already_ingested=True)
    residents = engine.resident_bitmap(resident_ids)
    engine.validate(batch, residents=residents,
                    pool_sizes=preset.testing.pooling.pool_sizes, now=moment)
    step("validate")
    if batch.findings or batch.file_problems:
        extra = engine.duplicate_samples(batch)
        report = engine.report(batch, [extra] if extra else [])
        return _reject(session, digest=digest, filename=filename, file_format=file_format,
                       received_by=received_by, preset=preset, now=moment, report=report,
                       batch=batch, started=started, existing=existing)
    try:
        # Sample and tube ids are checked for uniqueness (within the file and against
        # earlier batches) by the database's unique indexes while writing, which costs
        # nothing extra; a violation rolls the writes back and is then reported in full.
        with session.begin_nested():
            written = _write(session, batch, digest=digest, filename=filename,
                             received_by=received_by, preset=preset, now=moment,
                             existing=existing, consumers=consumers, step=step)
            written.seconds = round(time.perf_counter() - started, 3)
            session.flush()
    except IntegrityError:
        conflicts = _conflicts(session, batch)
        if not conflicts:
            raise
        if existing is not None:
            session.refresh(existing)
        report = engine.report(batch, conflicts)
        return _reject(session, digest=digest, filename=filename, file_format=file_format,
                       received_by=received_by, preset=preset, now=moment, report=report,
                       batch=batch, started=started, existing=existing)
    return IngestResult(batch=written, already_ingested=False)


def _labs(batch: ParsedBatch | None) -> str:
    if batch is None:
        return ""
    seen = np.bincount(batch.lab[batch.lab >= 0], minlength=len(batch.lab_vocabulary)) > 0
    used = sorted(batch.lab_vocabulary[c] for c in np.flatnonzero(seen))
    text = ", ".join(used)
    return text if len(text) <= 255 else text[:252] + "..."


def _reject(session: Session, *, digest: str, filename: str, file_format: str,
            received_by: str, preset: Preset, now: datetime, report: Report,
            batch: ParsedBatch | None, started: float,
            existing: LabBatch | None = None) -> IngestResult:
    """Record (or update) the rejection of a file, with its report."""
    if existing is None:
        existing = repository.batch_by_digest(session, digest)
    record = existing or LabBatch(digest=digest, attempts=0)
    record.filename = filename[:255]
    record.file_format = file_format
    record.labs = _labs(batch)
    record.status = REJECTED
    record.received_at = now
    record.received_by = received_by[:64]
    record.attempts = (record.attempts or 0) + 1
    record.rows = batch.rows if batch else 0
    record.tubes = batch.tubes if batch else 0
    for name in ("pooled_tubes", "positive_tubes", "invalid_tubes", "reread_tubes",
                 "retests_ordered", "retests_resolved", "cases_created", "repositives_linked"):
        setattr(record, name, 0)
    record.preset = preset.name
    record.problems = json.dumps([p.as_dict() for p in report.problems], ensure_ascii=False)
    record.problem_counts = json.dumps(dict(report.counts))
    record.problem_count = report.total
    record.seconds = round(time.perf_counter() - started, 3)
    session.add(record)
    session.flush()
    return IngestResult(batch=record, already_ingested=False, report=report)


def _conflicts(session: Session, batch: ParsedBatch) -> list[Finding]:
    """Why writing failed: sample or tube ids repeated in the file or known from before."""
    found: list[Finding] = []
    duplicates = engine.duplicate_samples(batch)
    if duplicates is not None:
        found.append(duplicates)
    sample_codes = batch.sample_code.drop_null().to_pylist()
    taken = repository.existing_codes(session, Sample.code, sample_codes)
    if taken:
        rows = engine.rows_with_values(batch.sample_code, sorted(taken))
        found.append(Finding("sample_exists", "sample_id", rows,
                             lambda r: f"sample id {batch.sample_code[r].as_py()!r} was "
                                       "ingested in an earlier batch"))
    tube_codes = batch.tube_codes.to_pylist()
    taken_tubes = repository.existing_codes(session, Tube.code, tube_codes)
    if taken_tubes:
        tubes = engine.rows_with_values(batch.tube_codes, sorted(taken_tubes))
        rows = np.sort(batch.first_row[tubes])
        found.append(Finding("tube_exists", "tube_id", rows,
                             lambda r: f"tube id {batch.tube_code[r].as_py()!r} was ingested "
                                       "in an earlier batch"))
    return found


def _write(session: Session, batch: ParsedBatch, *, digest: str, filename: str,
           received_by: str, preset: Preset, now: datetime, existing: LabBatch | None,
           consumers: Sequence[Consumer], step: Callable[..., None]) -> LabBatch:
    """Write the tubes, samples, retest orders and resolutions of a valid batch."""
    tables = load_models().tables
    first = batch.first_row
    kind_t = batch.kind[first]
    outcome_t = engine.read_outcomes(batch, preset.cases.positivity)
    reported_t = batch.outcome[first]
    pooled_code = engine.KIND_CODES[rules.POOLED]

    open_orders = repository.open_retests(session)
    record = existing or LabBatch(digest=digest, attempts=0)
    record.filename = filename[:255]
    record.file_format = batch.file_format
    record.labs = _labs(batch)
    record.status = ACCEPTED
    record.received_at = now
    record.received_by = received_by[:64]
    record.attempts = (record.attempts or 0) + 1
    record.rows = batch.rows
    record.tubes = batch.tubes
    record.pooled_tubes = int((kind_t == pooled_code).sum())
    record.positive_tubes = int((outcome_t == OUTCOME_CODES[rules.POSITIVE]).sum())
    record.invalid_tubes = int((outcome_t == OUTCOME_CODES[rules.INVALID]).sum())
    record.reread_tubes = int(((outcome_t != reported_t)
                               & (reported_t != OUTCOME_CODES[rules.INVALID])).sum())
    record.retests_ordered = record.retests_resolved = 0
    record.cases_created = record.repositives_linked = 0
    record.preset = preset.name
    record.problems = None
    record.problem_counts = None
    record.problem_count = 0
    record.seconds = 0.0
    session.add(record)
    session.flush()

    with ThreadPoolExecutor(max_workers=1) as pool:
        # Retests are planned on the client while the database takes tubes and samples.
        plan_job = pool.submit(engine.plan_retests, batch, outcome_t, open_orders)
        tube_ids = repository.reserve_ids(session, tables["tube"], batch.tubes)
        tube_columns: dict[str, Any] = {
            "id": tube_ids,
            "code": engine.char_matrix(batch.tube_codes),
            "batch_id": np.full(batch.tubes, record.id, dtype=np.int64),
            "kind": Categorical(rules.TUBE_KINDS, kind_t),
            "pool_size": batch.pool_size[first],
            "lab": Categorical(batch.lab_vocabulary, batch.lab[first]),
            "collection_site": Categorical(batch.site_vocabulary, batch.site[first]),
            "collected_at": engine.tube_collected_at(batch),
            "result_at": batch.result_at[first],
            "reported_outcome": Categorical(rules.OUTCOMES, reported_t),
            "outcome": Categorical(rules.OUTCOMES, outcome_t),
        }
        for gene in batch.genes:
            values = batch.ct[gene][first]
            tube_columns[f"ct_{gene}"] = Nullable(values, np.isnan(values))
        # The samples are encoded while the database takes the tubes.
        samples = repository.StreamedRows(session, tables["sample"], {
            "code": engine.char_matrix(batch.sample_code),
            "tube_id": tube_ids[batch.tube_of_row],
            "resident_id": batch.resident_id,
            "collected_at": batch.collected_at,
        })
        try:
            repository.write_rows(session, tables["tube"], tube_columns, progress=step)
            samples.write(session, progress=step)
        finally:
            samples.close()
        plan = plan_job.result()

    row_tube = batch.tube_of_row
    row_outcome = outcome_t[row_tube]
    if len(plan.new_rows):
        rows, by = plan.new_rows, plan.new_resolved_by
        settled = by >= 0
        at = np.maximum(by, 0)
        status = np.where(settled, np.where(
            row_outcome[at] == OUTCOME_CODES[rules.POSITIVE], 1, 2), 0)
        repository.write_rows(session, tables["retest_order"], {
            "resident_id": batch.resident_id[rows],
            "tube_id": tube_ids[row_tube[rows]],
            "reason": Categorical(engine.RETEST_REASONS, plan.new_reason),
            "ordered_at": batch.result_at[rows],
            "status": Categorical(("open", rules.POSITIVE, rules.NEGATIVE), status),
            "resolved_by_tube_id": Nullable(tube_ids[row_tube[at]], ~settled),
            "resolved_at": Nullable(batch.result_at[at], ~settled),
        }, progress=step)
    repository.resolve_retests(session, [
        (int(order_id), rules.OUTCOMES[int(row_outcome[r])], int(tube_ids[row_tube[r]]),
         _utc(batch.result_at[r]))
        for order_id, r in zip(plan.resolved_ids.tolist(), plan.resolved_by.tolist(),
                               strict=True)])
    record.retests_ordered = len(plan.new_rows)
    record.retests_resolved = plan.resolved
    step("retests")

    positives = tuple(_positive(batch, r, tube_ids, plan) for r in plan.positive_rows.tolist())
    accepted = AcceptedBatch(batch=record, positives=positives, received_by=received_by,
                             now=now, preset=preset)
    for consumer in consumers:
        for name, value in consumer(session, accepted).items():
            setattr(record, name, getattr(record, name) + int(value))
    step("cases")
    session.flush()
    return record


def _positive(batch: ParsedBatch, row: int, tube_ids: np.ndarray,
              plan: engine.RetestPlan) -> PositiveResult:
    """The positive single-tube result on a batch row, for the case registry."""
    onset = batch.onset_date[row]
    isolated = plan.isolated_at.get(row)
    return PositiveResult(
        resident_id=int(batch.resident_id[row]),
        tube_id=int(tube_ids[batch.tube_of_row[row]]),
        sample_code=str(batch.sample_code[row].as_py()),
        collected_at=batch.local_time(row, "collected_at"),
        result_at=batch.local_time(row, "result_at"),
        onset_date=None if np.isnat(onset) else onset.item(),
        imported=bool(batch.imported[row]),
        isolated_at=None if isolated is None else _utc(isolated),
    )


# ------------------------------------------------------------------ reading


def list_batches(session: Session, *, limit: int = 50, offset: int = 0,
                 status: str | None = None) -> Sequence[LabBatch]:
    """Batches, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    return repository.batches(session, limit=limit, offset=offset, status=status)


def get_batch(session: Session, *, batch_id: int) -> LabBatch:
    """A batch by id, or NotFoundError."""
    found = repository.batch(session, batch_id)
    if found is None:
        raise NotFoundError(f"no lab batch {batch_id}")
    return found


def batch_problems(batch: LabBatch) -> list[dict[str, Any]]:
    """The listed problems of a rejected batch."""
    return list(json.loads(batch.problems)) if batch.problems else []


def batch_problem_counts(batch: LabBatch) -> dict[str, int]:
    """How many problems of each kind a rejected batch had."""
    return dict(json.loads(batch.problem_counts)) if batch.problem_counts else {}


def batch_tubes(session: Session, *, batch_id: int, outcome: str | None = None,
                limit: int = 100, offset: int = 0) -> Sequence[Tube]:
    """Tubes of a batch (tube fields only: no personal data)."""
    get_batch(session, batch_id=batch_id)
    if outcome is not None and outcome not in rules.OUTCOMES:
        raise ValidationFailedError(f"outcome must be one of {', '.join(rules.OUTCOMES)}")
    return repository.batch_tubes(session, batch_id, outcome=outcome, limit=limit,
                                  offset=offset)


def communities_of(session: Session, area: AreaFilter | None) -> list[int] | None:
    """The community ids an area covers, or None when it covers the whole city."""
    if area is None or area.everywhere:
        return None
    return places.community_ids_within(session, district_ids=sorted(area.district_ids),
                                       subdistrict_ids=sorted(area.subdistrict_ids),
                                       community_ids=sorted(area.community_ids))


@dataclass(frozen=True)
class TubeDetail:
    """A tube, the samples in it the caller may see, and the retests it called for."""

    tube: Tube
    samples: list[tuple[Sample, Resident]]
    hidden_samples: int
    retests: Sequence[RetestOrder]


def tube_detail(session: Session, *, tube_id: int, area: AreaFilter | None = None
                ) -> TubeDetail:
    """A tube with its samples inside the area; a tube with none there is not found."""
    found = repository.tube(session, tube_id)
    if found is None:
        raise NotFoundError(f"no tube {tube_id}")
    every = repository.tube_samples(session, tube_id, None)
    visible = (every if area is None or area.everywhere
               else repository.tube_samples(session, tube_id, communities_of(session, area)))
    if not visible:
        raise NotFoundError(f"no tube {tube_id}")
    shown = {s.resident_id for s, _ in visible}
    retests = [o for o in repository.tube_retests(session, tube_id) if o.resident_id in shown]
    return TubeDetail(tube=found, samples=visible, hidden_samples=len(every) - len(visible),
                      retests=retests)


def tube_id_of(session: Session, *, code: str) -> int:
    """The id of the tube with this barcode, or NotFoundError."""
    found = repository.tube_id_of_code(session, code)
    if found is None:
        raise NotFoundError(f"no tube {code!r}")
    return found


@dataclass(frozen=True)
class TestingHistory:
    """A resident's samples with their tubes' results, and their retest orders."""

    resident: Resident
    area: AreaPath
    samples: list[tuple[Sample, Tube]]
    retests: Sequence[RetestOrder]

    @property
    def state(self) -> str:
        """'pool positive, retest' while a retest is open, else the latest result."""
        if any(o.status == "open" and o.reason == "pool_positive" for o in self.retests):
            return "pool positive, retest"
        if any(o.status == "open" for o in self.retests):
            return "retest due"
        if not self.samples:
            return "never tested"
        _sample, tube = self.samples[0]
        return f"last result {tube.outcome}"


def resident_area(session: Session, *, resident_id: int) -> AreaPath | None:
    """Where a resident lives, or None when there is no such resident."""
    found = repository.resident_area(session, resident_id)
    return found[1] if found else None


def resident_record(session: Session, *, resident_id: int
                    ) -> tuple[Resident, AreaPath] | None:
    """A resident and where they live, or None when there is no such resident."""
    return repository.resident_area(session, resident_id)


def testing_history(session: Session, *, resident_id: int) -> TestingHistory:
    """A resident's samples, results and retest orders (check the caller's area first)."""
    found = repository.resident_area(session, resident_id)
    if found is None:
        raise NotFoundError(f"no resident {resident_id}")
    resident, area = found
    return TestingHistory(resident=resident, area=area,
                          samples=repository.resident_samples(session, resident_id),
                          retests=repository.resident_retests(session, resident_id))


def list_retests(session: Session, *, status: str | None = "open", limit: int = 100,
                 offset: int = 0, area: AreaFilter | None = None
                 ) -> list[tuple[RetestOrder, Resident]]:
    """Retest orders of residents inside the area, oldest first."""
    if status is not None and status not in ("open", "negative", "positive"):
        raise ValidationFailedError("status must be open, negative or positive")
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    communities = communities_of(session, area)
    if communities == []:
        return []
    return repository.retests(session, status=status, limit=limit, offset=offset,
                              community_ids=communities)


def table_counts(session: Session) -> dict[str, int]:
    """Rows in each testing table."""
    return repository.counts(session)
