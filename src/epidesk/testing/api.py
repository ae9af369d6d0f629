"""JSON routes of the testing domain: batches, uploads and reports, tubes, histories, retests."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Response, UploadFile
from fastapi.responses import JSONResponse

from epidesk.errors import PROBLEM_JSON, NotFoundError
from epidesk.kit.access import MEDICAL_READ
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, DbSession, Id, ensure_in_scope
from epidesk.testing import service
from epidesk.testing.deps import (
    Ingester,
    Limit,
    MedicalReader,
    Offset,
    follow_results,
    ingest_message,
    rejection_problem,
    tube_for,
)
from epidesk.testing.ingest import service as ingest
from epidesk.testing.schemas import (
    BatchDetail,
    BatchOut,
    IngestOut,
    RetestWithResident,
    TestingHistoryOut,
    TubeDetailOut,
    TubeOut,
    batch_detail,
    batch_out,
    history_out,
    retest_out,
    tube_detail_out,
    tube_out,
)

router = APIRouter(prefix="/testing", tags=["testing"], responses=PROBLEM_RESPONSES)


@router.post("/batches", response_model=IngestOut, status_code=201,
             summary="Upload a lab batch",
             responses={200: {"model": IngestOut, "description": "Already ingested"}})
def upload_batch(
    response: Response,
    session: DbSession,
    ingester: Ingester,
    audit: AuditDep,
    file: Annotated[UploadFile, File(description="Lab batch: CSV or Parquet")],
) -> Any:
    """Validate a lab batch whole, then write its results, retests and cases.

    201: accepted. 200: the same file was accepted before, nothing changed. 422: rejected
    whole with a report naming line, column and problem; nothing of it was written.
    """
    content = read_upload(file, command="epidesk ingest results")
    result = ingest.ingest_batch(session, content=content,
                                 filename=file.filename or "upload.csv",
                                 received_by=ingester.username)
    follow_results(session, result, ingester.username)
    audit("create" if not result.already_ingested else "read", "lab_batch", result.batch.id)
    if not result.accepted:
        return JSONResponse(rejection_problem(result, "/api/testing/batches"), status_code=422,
                            media_type=PROBLEM_JSON)
    if result.already_ingested:
        response.status_code = 200
    return IngestOut(already_ingested=result.already_ingested, message=ingest_message(result),
                     batch=batch_detail(result.batch))


@router.get("/batches", response_model=list[BatchOut], summary="Lab batches")
def list_batches(
    session: DbSession, _: MedicalReader,
    status: Literal["accepted", "rejected"] | None = None, limit: Limit = 50,
    offset: Offset = 0,
) -> list[BatchOut]:
    """Lab batches, newest first, with what each wrote or how many problems it had."""
    return [batch_out(b) for b in service.list_batches(session, limit=limit, offset=offset,
                                                        status=status)]


@router.get("/batches/{batch_id}", response_model=BatchDetail, summary="A lab batch")
def get_batch(batch_id: Id, session: DbSession, _: MedicalReader) -> BatchDetail:
    """A batch with its validation report."""
    return batch_detail(service.get_batch(session, batch_id=batch_id))


@router.get("/batches/{batch_id}/tubes", response_model=list[TubeOut],
            summary="Tubes of a lab batch")
def batch_tubes(
    batch_id: Id, session: DbSession, reader: MedicalReader,
    outcome: Literal["positive", "negative", "invalid"] | None = None, limit: Limit = 100,
    offset: Offset = 0,
) -> list[TubeOut]:
    """The tubes of a batch holding a sample of a resident inside the caller's area, and
    their results (tube fields only, no residents)."""
    return [tube_out(t) for t in service.batch_tubes(session, batch_id=batch_id,
                                                      outcome=outcome, limit=limit,
                                                      offset=offset,
                                                      area=reader.area_for(MEDICAL_READ))]


@router.get("/tubes/{tube_id}", response_model=TubeDetailOut, summary="A tube")
def get_tube(tube_id: Id, session: DbSession, reader: MedicalReader,
             audit: AuditDep) -> TubeDetailOut:
    """A tube's result, the samples in it of residents inside the caller's area, and the
    cases it produced (those outside the area unnamed)."""
    return tube_detail_out(*tube_for(session, reader, tube_id, audit))


@router.get("/tubes/by-code/{code}", response_model=TubeDetailOut, summary="A tube by barcode")
def get_tube_by_code(code: Annotated[str, Path(min_length=1, max_length=32)],
                     session: DbSession, reader: MedicalReader, audit: AuditDep
                     ) -> TubeDetailOut:
    """A tube found by its barcode."""
    tube_id = service.tube_id_of(session, code=code)
    try:
        return tube_detail_out(*tube_for(session, reader, tube_id, audit))
    except NotFoundError:
        raise NotFoundError(f"no tube {code!r}") from None  # as for an unknown barcode


@router.get("/residents/{resident_id}", response_model=TestingHistoryOut,
            summary="A resident's testing history")
def resident_history(resident_id: Id, session: DbSession, reader: MedicalReader,
                     audit: AuditDep) -> TestingHistoryOut:
    """A resident's samples, results, retest orders and current state."""
    ensure_in_scope(reader, MEDICAL_READ,
                    service.resident_area(session, resident_id=resident_id), "resident")
    history = service.testing_history(session, resident_id=resident_id)
    audit("read", "testing_history", resident_id, person_id=resident_id)
    return history_out(history)


@router.get("/retests", response_model=list[RetestWithResident], summary="Retest orders")
def list_retests(
    session: DbSession, reader: MedicalReader, audit: AuditDep,
    status: Literal["open", "negative", "positive"] | None = "open", limit: Limit = 100,
    offset: Offset = 0,
) -> list[RetestWithResident]:
    """Retest orders of residents inside the caller's area, oldest first."""
    rows = service.list_retests(session, status=status, limit=limit, offset=offset,
                                area=reader.area_for(MEDICAL_READ))
    audit("read", "retest_list", status or "all", people=[r.id for _, r in rows])
    return [RetestWithResident(**retest_out(o).model_dump(),
                               resident_name=f"{r.name} {r.name_latin}") for o, r in rows]
