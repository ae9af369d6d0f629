"""Ingesting a lab batch through the kit's imported-file lifecycle.

The batch is validated whole and its tubes, samples, retest orders and resolutions are
written in one savepoint, with one positive-result event per positive single tube for
the case registry to follow (see kit.events). When every value of the file reads, the
checks across lines and tubes run beside the samples' COPY (the database's share of the
work), and a problem they find rolls the writes back (`kit.imports.Rejected`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.errors import NotFoundError
from epidesk.kit import clock
from epidesk.kit.bulk import Categorical, Nullable
from epidesk.kit.domains import load_models
from epidesk.kit.imports import Imported, Progress, Rejected, run_import, unreadable_problem
from epidesk.kit.merges import follow_merges
from epidesk.kit.reports import Finding, Report, report_of
from epidesk.people import repository as people
from epidesk.people.columns import repository as people_columns
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.testing import engine, rules
from epidesk.testing.engine import KIND_CODES, OUTCOME_CODES, ParsedBatch
from epidesk.testing.ingest import early, repository
from epidesk.testing.ingest import engine as checks
from epidesk.testing.models import LabBatch, PositiveResult, Sample, Tube
from epidesk.testing.retests import engine as retests
from epidesk.testing.retests import repository as retest_orders
from epidesk.testing.tubes import engine as tubes


class IngestResult(Imported[LabBatch]):
    """The outcome of ingesting one lab batch file."""

    @property
    def batch(self) -> LabBatch:
        """The batch's record: accepted, already accepted before, or rejected."""
        return self.record

    @property
    def already_ingested(self) -> bool:
        """True when the same file had been accepted before (nothing changed)."""
        return self.already_imported


@dataclass
class ReadBatch:
    """A parsed batch and every registered resident id, looked up while it was parsed."""

    batch: ParsedBatch
    resident_ids: NDArray[np.int64]
    # New tube ids, taken while the file was parsed (None: taken when writing).
    tube_ids: NDArray[np.int64] | None = None
    # The checks across lines and tubes, when they run beside the writing.
    checks: Future[Report] | None = None
    # The first sample rows, written while the file was read (see early), or why their
    # COPY failed (raised when the batch is written).
    samples_written: int = 0
    early_error: BaseException | None = None
    # The tubes, when written right after the early rows, and the batch id they carry;
    # the retests planned while they were written.
    tubes_written: bool = False
    batch_id: int | None = None
    plan: retests.RetestPlan | None = None


def _lookups(session: Session, tubes_counted: Future[int | None]
             ) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """Every resident id, then new ids for the batch's tubes once they are counted.

    Only PostgreSQL's sequences hand ids out ahead: SQLite's next ids are only known
    once this transaction holds the write lock.
    """
    resident_ids = people_columns.resident_ids(session)
    tubes = tubes_counted.result()
    if tubes is None or not is_postgres(session):
        return resident_ids, None
    return resident_ids, repository.reserve_ids(session, load_models().tables["tube"], tubes)


class LabBatchImporter:
    """The lab batch format for `kit.imports.run_import`."""

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.file_format = "csv"

    def find(self, session: Session, digest: str) -> LabBatch | None:
        """The batch of an earlier file with this digest."""
        return repository.batch_by_digest(session, digest)

    def new_record(self, digest: str) -> LabBatch:
        """A batch record for a file seen for the first time."""
        return LabBatch(digest=digest, attempts=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> ReadBatch:
        """Parse the file while the database looks up every resident id and, once the
        tubes are counted, takes their new ids."""
        tubes_counted: Future[int | None] = Future()
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The session is used by that thread alone until its result is taken.
            lookups = pool.submit(_lookups, session, tubes_counted)
            try:
                step("read", 0)
                self.file_format = checks.file_format_of(filename, content[:4])
                table = checks.read_table(content, self.file_format)
                step("read")
                batch = engine.parse(table, self.file_format, counted=tubes_counted.set_result)
                del table
                step("parse")
            finally:
                if not tubes_counted.done():
                    tubes_counted.set_result(None)
                resident_ids, tube_ids = lookups.result()
        step("residents")
        return ReadBatch(batch=batch, resident_ids=resident_ids, tube_ids=tube_ids)

    def read_writing(self, session: Session, content: bytes, filename: str,
                     step: Callable[..., None], now: datetime) -> ReadBatch:
        """Read the file, its first samples already written while the rest is read, and
        start the checks across lines and tubes before the samples' COPY is done
        (PostgreSQL and CSV; otherwise as `read`, writing nothing)."""
        self.file_format = checks.file_format_of(filename, content[:4])
        if not is_postgres(session) or self.file_format != "csv":
            return self.read(session, content, filename, step)
        blocks = early.ReadAhead(checks.csv_blocks(content, early.block_bytes(len(content)),
                                                   early.FIRST_BLOCK))
        try:
            samples = early.EarlySamples(session, load_models().tables["sample"],
                                         early.expected_rows(content),
                                         beside=retest_orders.open_retests)
        except BaseException:
            blocks.close()
            raise
        tube_rows: repository.StreamedRows | None = None
        checks_job: Future[Report] | None = None
        try:
            step("read", 0)
            table = _read_early(content, blocks, samples)
            step("read")
            batch = engine.parse(table, self.file_format)
            del table
            step("parse")
            batch.resident_id = follow_merges(batch.resident_id, *samples.merges.result())
            parsed = ReadBatch(batch=batch, resident_ids=samples.residents.result(),
                               tube_ids=samples.tube_ids(batch.tubes))
            samples.check(batch)
            if batch.findings or batch.file_problems:
                samples.stop()  # rejected for them, whatever is written
            else:
                # Two halves copied at once would each wait for the other's end on a
                # sample id repeated across them: the checks look for repeats too.
                parsed.checks = checks_job = _in_thread(self._checked, parsed, now,
                                                        samples.halved)
                if samples.written.rows == batch.rows:
                    # Every line went early: the tubes follow the samples in their thread,
                    # and the retests are planned here meanwhile, from the open orders
                    # read with the residents.
                    assert parsed.tube_ids is not None
                    outcome_t = tubes.read_outcomes(batch, self.preset.cases.positivity)
                    tube_rows = _tube_rows(session, batch, parsed.tube_ids,
                                           samples.batch_id, outcome_t)
                    samples.then(tube_rows)
                    parsed.plan = _planned(samples.beside, batch, outcome_t)
        except BaseException:
            samples.stop()
            raise
        finally:
            blocks.close()
            samples.join(checks_job)
            samples.close()
            if tube_rows is not None:
                tube_rows.close()
        parsed.early_error = samples.error
        parsed.samples_written = samples.written.rows if samples.error is None else 0
        step("sample", parsed.samples_written, parsed.batch.rows)
        if samples.then_written:
            parsed.tubes_written, parsed.batch_id = True, samples.batch_id
            step("tube", parsed.batch.tubes, parsed.batch.tubes)
        else:
            parsed.plan = None
        return parsed

    def unreadable(self, message: str, line: int = 0, column: str = "") -> Report:
        """The report of a file that is not CSV or Parquet at all, where it was found."""
        return report_of([unreadable_problem(self.file_format.upper(), message, line, column)],
                         file_format=rules.BATCH_FORMAT)

    def validate(self, session: Session, parsed: ReadBatch, now: datetime) -> Report:
        """Every problem of the batch; sample ids are checked by the database while writing.

        A line naming a record merged into another is the survivor's: labs may still use
        the old id. A batch whose every value reads is checked across its lines and tubes in
        a thread while it is written (see `write`); otherwise here, before anything is
        written.
        """
        if parsed.checks is not None:
            return Report()  # read_writing started them, the merges followed
        batch = parsed.batch
        batch.resident_id = follow_merges(batch.resident_id, *people.merge_pointers(session))
        if batch.findings or batch.file_problems:
            return self._checked(parsed, now)
        parsed.checks = _in_thread(self._checked, parsed, now)
        return Report()

    def _checked(self, parsed: ReadBatch, now: datetime, repeats: bool = False) -> Report:
        """The batch's problems; sample ids repeated in the file are among them when
        there are others, or when asked (`repeats`; else the database finds them)."""
        batch = parsed.batch
        checks.validate(batch, residents=checks.resident_bitmap(parsed.resident_ids),
                        pool_sizes=self.preset.testing.pooling.pool_sizes, now=now,
                        zone=clock.city_zone())
        extra = checks.duplicate_samples(batch) if repeats else None
        if not (batch.findings or batch.file_problems or extra):
            return Report()
        extra = extra or checks.duplicate_samples(batch)
        return checks.report(batch, [extra] if extra else [])

    def write(self, session: Session, parsed: ReadBatch, record: LabBatch, now: datetime,
              step: Callable[..., None]) -> None:
        """Write the tubes, samples, retest orders, resolutions and positive results."""
        if parsed.early_error is not None:
            # The early rows' COPY failed (and was rolled back); a batch the checks
            # reject is rejected for its problems, whatever the writing ran into.
            _await_checks(parsed.checks)
            raise parsed.early_error
        _write(session, parsed, record, self.preset, step)

    def conflicts(self, session: Session, parsed: ReadBatch) -> Report | None:
        """Sample or tube ids repeated in the file or known from earlier batches."""
        found = _conflicts(session, parsed.batch)
        return checks.report(parsed.batch, found) if found else None

    def rejected(self, record: LabBatch, parsed: ReadBatch | None) -> None:
        """The batch's own fields on a rejected record."""
        batch = parsed.batch if parsed else None
        record.file_format = self.file_format
        record.labs = _labs(batch)
        record.rows = batch.rows if batch else 0
        record.tubes = batch.tubes if batch else 0
        for name in ("pooled_tubes", "positive_tubes", "invalid_tubes", "reread_tubes",
                     "retests_ordered", "retests_resolved", "cases_created",
                     "repositives_linked"):
            setattr(record, name, 0)
        record.preset = self.preset.name


def ingest_file(session: Session, *, path: str | Path, received_by: str,
                preset: Preset | None = None, now: datetime | None = None,
                progress: Progress | None = None) -> IngestResult:
    """Ingest a lab batch file (CSV or Parquet) from disk; see ingest_batch."""
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror}") from exc
    return ingest_batch(session, content=content, filename=source.name, received_by=received_by,
                        preset=preset, now=now, progress=progress)


def ingest_batch(session: Session, *, content: bytes, filename: str, received_by: str,
                 preset: Preset | None = None, now: datetime | None = None,
                 progress: Progress | None = None) -> IngestResult:
    """Validate a lab batch whole, then write its results, or record why it was rejected.

    An accepted file sent again changes nothing. A rejected batch writes only its
    rejection record (with the report); its results are never partly written.
    """
    importer = LabBatchImporter(preset or active_preset())
    done = run_import(
        session, importer, content=content, filename=filename, received_by=received_by,
        now=now, progress=progress)
    return IngestResult(record=done.record, already_imported=done.already_imported,
                        report=done.report)


def _labs(batch: ParsedBatch | None) -> str:
    if batch is None:
        return ""
    seen = np.bincount(batch.lab[batch.lab >= 0], minlength=len(batch.lab_vocabulary)) > 0
    used = sorted(batch.lab_vocabulary[c] for c in np.flatnonzero(seen))
    text = ", ".join(used)
    return text if len(text) <= 255 else text[:252] + "..."


def _conflicts(session: Session, batch: ParsedBatch) -> list[Finding]:
    """Why writing failed: sample or tube ids repeated in the file or known from before."""
    found: list[Finding] = []
    duplicates = checks.duplicate_samples(batch)
    if duplicates is not None:
        found.append(duplicates)
    sample_codes = batch.sample_code.drop_null().to_pylist()
    taken = repository.existing_codes(session, Sample.code, sample_codes)
    if taken:
        rows = checks.rows_with_values(batch.sample_code, sorted(taken))
        found.append(Finding("sample_exists", "sample_id", rows,
                             lambda r: f"sample id {batch.sample_code[r].as_py()!r} was "
                                       "ingested in an earlier batch"))
    tube_codes = batch.tube_codes.to_pylist()
    taken_tubes = repository.existing_codes(session, Tube.code, tube_codes)
    if taken_tubes:
        found_tubes = checks.rows_with_values(batch.tube_codes, sorted(taken_tubes))
        rows = np.sort(batch.first_row[found_tubes])
        found.append(Finding("tube_exists", "tube_id", rows,
                             lambda r: f"tube id {batch.tube_code[r].as_py()!r} was ingested "
                                       "in an earlier batch"))
    return found


def _read_early(content: bytes, read: early.ReadAhead, samples: early.EarlySamples
                ) -> pa.Table:
    """The CSV's lines as a table, read a block at a time (`read`), each block's samples
    handed to the COPY while every block so far gave readable sample values."""
    blocks: list[pa.RecordBatch] = []
    writing = True
    try:
        for block in read:
            blocks.append(block)
            part = engine.sample_part(block) if writing else None
            writing = part is not None
            if part is not None:
                samples.add(part)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        blocks = []  # a value the types refuse, or no CSV: read whole, to say where
    samples.end()
    if not blocks:
        return checks.read_table(content, "csv")
    return pa.Table.from_batches(blocks).unify_dictionaries()


def _in_thread(work: Callable[..., Report], *args: Any) -> Future[Report]:
    """work(*args) run in a thread of its own; its report (or exception) in the future."""
    future: Future[Report] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(work(*args))
        except BaseException as exc:  # handed to whoever waits for the report
            future.set_exception(exc)

    threading.Thread(target=run, name="batch-checks", daemon=True).start()
    return future


def _await_checks(checks_job: Future[Report] | None) -> None:
    """Wait for the checks run beside the writing; raise Rejected if they found problems."""
    if checks_job is None:
        return
    found = checks_job.result()
    if not found.ok:
        raise Rejected(found)


def _write(session: Session, parsed: ReadBatch, record: LabBatch, preset: Preset,
           step: Callable[..., None]) -> None:
    """Write the samples, tubes, retest orders, resolutions and positive results.

    The samples go first, as one COPY fed by an encoding thread; while the database
    takes them, the batch's checks, the retest plan and the tubes' rows are prepared.
    """
    batch = parsed.batch
    tables = load_models().tables
    outcome_t = tubes.read_outcomes(batch, preset.cases.positivity)
    tube_ids = parsed.tube_ids
    if tube_ids is None or len(tube_ids) != batch.tubes:
        tube_ids = repository.reserve_ids(session, tables["tube"], batch.tubes)
    # The samples' rows (those not written while reading) are encoded from now on, while
    # the database answers the rest.
    done = parsed.samples_written
    sample_ids = repository.reserved_apart(session, tables["sample"], batch.rows - done)
    samples = repository.StreamedRows(session, tables["sample"], lambda: {
        **({"id": sample_ids} if sample_ids is not None else {}),
        "code": tubes.char_matrix(batch.sample_code[done:]),
        "tube_id": tube_ids[batch.tube_of_row[done:]],
        "resident_id": batch.resident_id[done:],
        "collected_at": batch.collected_at[done:],
    }, rows=batch.rows - done)
    try:
        _write_rows(session, parsed, record, preset, step, tube_ids, samples, outcome_t)
    finally:
        samples.close()


def _write_rows(session: Session, parsed: ReadBatch, record: LabBatch, preset: Preset,
                 step: Callable[..., None], tube_ids: NDArray[np.int64],
                 samples: repository.StreamedRows, outcome_t: NDArray[np.int8]) -> None:
    """The writing of _write once the samples are being encoded."""
    batch = parsed.batch
    tables = load_models().tables
    first = batch.first_row
    kind_t = batch.kind[first]
    reported_t = batch.outcome[first]
    plan = parsed.plan if parsed.tubes_written else None
    open_orders = (retests.OpenOrders.empty() if plan is not None
                   else retests.OpenOrders.of_rows(retest_orders.open_retests(session)))
    record.file_format = batch.file_format
    record.labs = _labs(batch)
    record.rows = batch.rows
    record.tubes = batch.tubes
    record.pooled_tubes = int((kind_t == KIND_CODES[rules.POOLED]).sum())
    record.positive_tubes = int((outcome_t == OUTCOME_CODES[rules.POSITIVE]).sum())
    record.invalid_tubes = int((outcome_t == OUTCOME_CODES[rules.INVALID]).sum())
    record.reread_tubes = int(((outcome_t != reported_t)
                               & (reported_t != OUTCOME_CODES[rules.INVALID])).sum())
    record.retests_ordered = record.retests_resolved = 0
    record.cases_created = record.repositives_linked = 0
    record.preset = preset.name
    if parsed.tubes_written:
        # Every row is written, the retests planned (see read_writing): their counts go
        # into the batch's record as it is written, with the tubes' batch id.
        _await_checks(parsed.checks)
        if plan is None:
            plan = retests.plan_retests(batch, outcome_t, open_orders)
        record.retests_ordered = len(plan.new_rows)
        record.retests_resolved = plan.resolved
        if record.id is None:
            record.id = parsed.batch_id
    session.add(record)
    session.flush()
    batch_id = record.id
    if parsed.tubes_written and parsed.batch_id is not None and parsed.batch_id != batch_id:
        # A file rejected before keeps its record: its tubes are moved to it.
        repository.move_tubes(session, parsed.batch_id, batch_id)
    if plan is None:
        plan = _planned_beside_writing(session, parsed, batch_id, step, tube_ids, samples,
                                       outcome_t, open_orders)

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
            "reason": Categorical(retests.RETEST_REASONS, plan.new_reason),
            "ordered_at": batch.result_at[rows],
            "status": Categorical(("open", rules.POSITIVE, rules.NEGATIVE), status),
            "resolved_by_tube_id": Nullable(tube_ids[row_tube[at]], ~settled),
            "resolved_at": Nullable(batch.result_at[at], ~settled),
        }, progress=step)
    resolved = retest_orders.resolve_retests(session, [
        (int(order_id), rules.OUTCOMES[int(row_outcome[r])], int(tube_ids[row_tube[r]]),
         _moment(batch.result_at[r]))
        for order_id, r in zip(plan.resolved_ids.tolist(), plan.resolved_by.tolist(),
                               strict=True)])
    record.retests_ordered = len(plan.new_rows)
    record.retests_resolved = plan.resolved - len(plan.resolved_ids) + resolved
    step("retests")
    repository.add_positive_results(session, [
        _positive(batch, r, record.id, tube_ids, plan) for r in plan.positive_rows.tolist()])
    session.flush()


def _planned_beside_writing(session: Session, parsed: ReadBatch, batch_id: int,
                            step: Callable[..., None], tube_ids: NDArray[np.int64],
                            samples: repository.StreamedRows, outcome_t: NDArray[np.int8],
                            open_orders: retests.OpenOrders) -> retests.RetestPlan:
    """The retest plan, made in a thread while the samples and the tubes are written."""
    batch = parsed.batch
    tube_rows: repository.StreamedRows | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="retest-plan") as pool:
        plan_job = pool.submit(retests.plan_retests, batch, outcome_t, open_orders)
        try:
            tube_rows = _tube_rows(session, batch, tube_ids, batch_id, outcome_t)
            try:
                samples.write(session, progress=step)
            except Exception:
                # A batch the checks reject is rejected for its problems, whatever the
                # writing ran into with its values.
                _await_checks(parsed.checks)
                raise
            _await_checks(parsed.checks)
            tube_rows.write(session, progress=step)
        finally:
            if tube_rows is not None:
                tube_rows.close()
        return plan_job.result()


def _planned(open_rows: Future[Any], batch: ParsedBatch, outcome_t: NDArray[np.int8]
             ) -> retests.RetestPlan | None:
    """The retest plan, once the open orders are read (None when their reading failed:
    they are read again when the batch is written)."""
    try:
        rows = open_rows.result()
    except Exception:
        return None
    return retests.plan_retests(batch, outcome_t, retests.OpenOrders.of_rows(rows))


def _tube_rows(session: Session, batch: ParsedBatch, tube_ids: NDArray[np.int64],
               batch_id: int, outcome_t: NDArray[np.int8]) -> repository.StreamedRows:
    """The batch's tube rows, encoded for their COPY from now on."""
    return repository.StreamedRows(
        session, load_models().tables["tube"],
        lambda: tubes.tube_columns(batch, tube_ids, batch_id, outcome_t), rows=batch.tubes)


def _moment(value: np.datetime64) -> datetime:
    moment = value.astype("datetime64[us]").item()
    assert isinstance(moment, datetime)
    return clock.aware(moment)


def _offset(moment: datetime) -> int:
    delta = moment.utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def _positive(batch: ParsedBatch, row: int, batch_id: int, tube_ids: NDArray[np.int64],
              plan: retests.RetestPlan) -> PositiveResult:
    """The positive-result event of a positive single tube on a batch row."""
    onset = batch.onset_date[row]
    isolated = plan.isolated_at.get(row)
    collected = batch.local_time(row, "collected_at")
    result = batch.local_time(row, "result_at")
    return PositiveResult(
        batch_id=batch_id,
        resident_id=int(batch.resident_id[row]),
        tube_id=int(tube_ids[batch.tube_of_row[row]]),
        sample_code=str(batch.sample_code[row].as_py()),
        collected_at=collected.astimezone(UTC), collected_offset=_offset(collected),
        result_at=result.astimezone(UTC), result_offset=_offset(result),
        onset_date=None if np.isnat(onset) else onset.item(),
        imported=bool(batch.imported[row]),
        isolated_at=None if isolated is None else _moment(isolated),
    )
