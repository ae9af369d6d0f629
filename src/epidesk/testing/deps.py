"""FastAPI dependencies of the testing domain, shared by its api and pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from rich.console import Console
from sqlalchemy.orm import Session

from epidesk.kit import clock, events
from epidesk.kit.access import MEDICAL_READ, TESTING_INGEST, AreaPath, Caller
from epidesk.kit.console import print_imported
from epidesk.kit.i18n import _, _l
from epidesk.kit.imports import ACCEPTED
from epidesk.kit.inputs import DIGITS, Ge, Le
from epidesk.kit.inputs import Offset as RecordOffset
from epidesk.kit.links import Link, linked_people, links_from
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable
from epidesk.kit.tiles import Tile
from epidesk.kit.web import require
from epidesk.testing import service
from epidesk.testing.ingest.service import IngestResult
from epidesk.testing.models import LabBatch
from epidesk.testing.rules import TubeDetail
from epidesk.testing.schemas import batch_detail, history_out
from epidesk.testing.service import MAX_LIST

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
Ingester = Annotated[Caller, Depends(require(TESTING_INGEST))]
Limit = Annotated[int, Ge(1), Le(MAX_LIST), DIGITS, Query()]
Offset = Annotated[RecordOffset, Query()]


def follow_results(session: Session, result: IngestResult, actor: str) -> None:
    """Let the domains that follow testing take an accepted batch's positive results: the
    case registry in the same transaction, zoning's tallies once it commits."""
    if result.accepted:
        events.follow(session, "testing", deferred=True, actor=actor,
                      now=None if result.already_ingested else result.batch.received_at)


def ingest_message(result: IngestResult) -> str:
    """One sentence on what an upload did."""
    b = result.batch
    if result.already_ingested:
        return (f"this file was already ingested as batch {b.id} on "
                f"{clock.format_local(b.received_at)} ({clock.zone_label()}); nothing changed")
    if result.accepted:
        return (f"accepted: {b.rows:,} samples in {b.tubes:,} tubes, {b.positive_tubes:,} "
                f"positive; {b.retests_ordered:,} retests ordered, {b.retests_resolved:,} "
                f"resolved; {b.cases_created:,} new cases, {b.repositives_linked:,} re-positives")
    return f"rejected, nothing written: {result.report.summary()}"


def rejection_problem(result: IngestResult, instance: str) -> dict[str, Any]:
    """The problem+json document of a rejected batch, with its report."""
    detail = batch_detail(result.batch)
    return {
        "type": "https://epidesk.org/problems/batch-rejected",
        "title": "Batch rejected",
        "status": 422,
        "detail": ingest_message(result),
        "instance": instance,
        "batch_id": result.batch.id,
        "problem_counts": detail.problem_counts,
        "problems": [p.model_dump() for p in detail.problems],
        "truncated": detail.problem_count > len(detail.problems),
    }


def print_batch(console: Console, batch: LabBatch) -> None:
    """A batch's facts, and its report when it was rejected (for the command line)."""
    print_imported(console, heading=batch_heading(batch), accepted=batch.status == ACCEPTED,
                   summary=batch_summary(batch), problems=service.batch_problems(batch),
                   counts=service.batch_problem_counts(batch), total=batch.problem_count)


def batch_heading(batch: LabBatch) -> str:
    """A batch's file, status and receipt, in one line (for the command line)."""
    return (f"[bold]Lab batch {batch.id}[/] {batch.filename} ({batch.file_format}): "
            f"{batch.status}, received {clock.format_local(batch.received_at)} "
            f"({clock.zone_label()}) by "
            f"{batch.received_by}")


def batch_summary(batch: LabBatch) -> str:
    """What an accepted batch wrote, in one line (for the command line)."""
    return (f"{batch.rows:,} samples in {batch.tubes:,} tubes ({batch.pooled_tubes:,} "
            f"pooled); {batch.positive_tubes:,} positive, {batch.invalid_tubes:,} invalid; "
            f"{batch.retests_ordered:,} retests ordered, {batch.retests_resolved:,} "
            f"resolved; {batch.cases_created:,} new cases, {batch.repositives_linked:,} "
            "re-positives")


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: samples with their tubes and results, and retest orders."""
    if not caller.may(MEDICAL_READ, area):
        return None
    history = history_out(service.testing_history(session, resident_id=resident_id))
    audit("read", "testing_history", resident_id, person_id=resident_id)
    open_retests = sum(1 for o in history.retests if o.status == "open")
    return Panel(key="testing", title=_("Testing"), template="testing/_person_panel.html",
                 data=history.model_dump(mode="json"), view=history,
                 summary=f"{len(history.samples)} samples, {history.state}; "
                         f"{open_retests} open retest orders")


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """The command centre: samples, tubes and positivity per day (city-wide: lab batches
    carry no area) and the files rejected this week."""
    if not caller.can(MEDICAL_READ):
        return []
    days = service.lab_days(session, last=today)
    week_ago = clock.day_start(today - timedelta(days=6))
    return [
        Tile(key="testing.days", title=_("Tests and positivity per day"),
             template="testing/_days_tile.html", link="/testing", data={
                 "days": [d.day.isoformat() for d in days],
                 "samples": [d.samples for d in days], "tubes": [d.tubes for d in days],
                 "positive_tubes": [d.positive_tubes for d in days],
                 "positivity": [round(d.positivity, 5) for d in days]}),
        Tile(key="testing.rejected", title=_("Lab files rejected in the last 7 days"),
             template="testing/_rejected_tile.html", link="/testing",
             data={"rejected": service.rejected_batches(session, since=week_ago)}),
    ]


def latest_data_day(session: Session, *, up_to: date) -> date | None:
    """The pages that open on the latest day with data: the latest day with results."""
    return service.latest_result_day(session, up_to=up_to)


def tube_for(session: Session, reader: Caller, tube_id: int, audit: Audit
             ) -> tuple[TubeDetail, list[Link]]:
    """A tube as the reader may see it, with the cases it produced; the read audited with
    every resident it names."""
    detail = service.tube_detail(session, tube_id=tube_id, area=reader.area_for(MEDICAL_READ))
    links = links_from(session, caller=reader, kind="tube", ids=[tube_id])
    audit("read", "tube", tube_id, people=sorted(
        {r.id for _, r in detail.samples} | set(linked_people(links))))
    return detail, links.get(tube_id, [])


# Two records of one person merged: the merged one's tests become the survivor's.
person_merge = MergePart(
    covers=("sample.resident_id", "retest_order.resident_id", "positive_result.resident_id"),
    apply=service.merge_person_rows)


# The days of lab results one publication covers at most (the files hold them all).
PUBLIC_DAYS_MAX = 3660


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """Tests per day in the whole city (batches carry no area): samples, tubes, positive
    tubes and the share of tubes positive, by the day the lab's file was received."""
    first = service.first_lab_day(session)
    if first is None or first > day:
        rows: list[tuple[object, ...]] = []
    else:
        days = min((day - first).days + 1, PUBLIC_DAYS_MAX)
        rows = [(d.day, d.samples, d.tubes, d.positive_tubes,
                 round(d.positivity, 6) if d.tubes else None)
                for d in service.lab_days(session, last=day, days=days)]
    return [PublicTable(
        name="tests_city_daily", title=_l("Tests in the city"), description=_l(
            "Nucleic-acid tests per day in the whole city, by the day the lab's results "
            "arrived. A pooled tube holds several samples and counts once among the tubes."),
        columns=(
            Column("day", "day", _l("Day"), _l("The city's calendar day (ISO 8601).")),
            Column("samples", "count", _l("Samples tested"),
                   _l("Swabs in the tubes whose results arrived on this day.")),
            Column("tubes", "count", _l("Tubes tested"),
                   _l("Tubes (single or pooled) whose results arrived on this day.")),
            Column("positive_tubes", "count", _l("Positive tubes"),
                   _l("Tubes read positive under the active protocol's Ct rule.")),
            Column("positivity", "measure", _l("Share of tubes positive"),
                   _l("Positive tubes divided by tubes tested (0 to 1); empty on a day "
                      "with no tubes."), rests_on="tubes"),
        ), rows=rows)]
