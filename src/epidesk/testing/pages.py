"""HTML routes of the testing domain: batches, uploads and reports, tubes, histories, retests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.kit.access import MEDICAL_READ, TESTING_INGEST
from epidesk.kit.imports import ACCEPTED
from epidesk.kit.inputs import RecordId
from epidesk.kit.templating import render
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token, ensure_in_scope
from epidesk.testing import service
from epidesk.testing.deps import Ingester, MedicalReader, Offset, follow_results, tube_for
from epidesk.testing.ingest import service as ingest

router = APIRouter(include_in_schema=False)

PAGE = 50


@router.get("/testing")
def batches_page(
    request: Request, session: DbSession, reader: MedicalReader,
    offset: Offset = 0,
) -> Response:
    """Lab batches, newest first, with the upload form."""
    batches = service.list_batches(session, limit=PAGE + 1, offset=offset)
    return render(request, "testing/batches.html", {
        "batches": batches[:PAGE], "offset": offset, "page": PAGE,
        "has_more": len(batches) > PAGE, "can_upload": reader.can(TESTING_INGEST),
        "csrf_token": csrf_token(request), "section": "testing",
    })


@router.post("/testing/batches")
def upload_page(
    request: Request, session: DbSession, ingester: Ingester, audit: AuditDep,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check and ingest an uploaded lab batch, then show it (accepted, or its report)."""
    check_csrf(request, csrf_token)
    content = read_upload(file, command="epidesk ingest results")
    result = ingest.ingest_batch(session, content=content,
                                 filename=file.filename or "upload.csv",
                                 received_by=ingester.username)
    follow_results(session, result, ingester.username)
    audit("create" if not result.already_ingested else "read", "lab_batch", result.batch.id)
    flag = "already" if result.already_ingested else result.batch.status
    return RedirectResponse(f"/testing/batches/{result.batch.id}?uploaded={flag}",
                            status_code=303)


@router.get("/testing/batches/{batch_id}")
def batch_page(
    request: Request, batch_id: Id, session: DbSession, reader: MedicalReader,
    uploaded: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """A batch: what it wrote, or its validation report; its positive and invalid tubes
    holding a sample of a resident inside the caller's area."""
    area = reader.area_for(MEDICAL_READ)
    batch = service.get_batch(session, batch_id=batch_id)
    problems = service.batch_problems(batch)
    counts = service.batch_problem_counts(batch)
    flagged = []
    if batch.status == ACCEPTED:
        flagged = [*service.batch_tubes(session, batch_id=batch_id, outcome="positive",
                                        limit=200, area=area),
                   *service.batch_tubes(session, batch_id=batch_id, outcome="invalid",
                                        limit=200, area=area)]
    return render(request, "testing/batch.html", {
        "batch": batch, "problems": problems,
        "counts": counts, "tubes": flagged, "limited": not area.everywhere,
        "uploaded": uploaded, "section": "testing",
    })


@router.get("/testing/tubes")
def find_tube(session: DbSession, _: MedicalReader,
              code: Annotated[str, Query(min_length=1, max_length=32)]) -> Response:
    """Open a tube by its barcode."""
    tube_id = service.tube_id_of(session, code=code.strip())
    return RedirectResponse(f"/testing/tubes/{tube_id}", status_code=303)


@router.get("/testing/tubes/{tube_id}")
def tube_page(request: Request, tube_id: Id, session: DbSession, reader: MedicalReader,
              audit: AuditDep) -> Response:
    """A tube: its result, its samples inside the caller's area, the retests it called for."""
    detail, cases = tube_for(session, reader, tube_id, audit)
    return render(request, "testing/tube.html", {"detail": detail, "tube": detail.tube,
                                                 "cases": cases, "section": "testing"})


@router.get("/testing/residents")
def find_resident(resident_id: Annotated[RecordId, Query()],
                  _: MedicalReader) -> Response:
    """Open a resident's testing history by resident id."""
    return RedirectResponse(f"/testing/residents/{resident_id}", status_code=303)


@router.get("/testing/residents/{resident_id}")
def history_page(request: Request, resident_id: Id, session: DbSession, reader: MedicalReader,
                 audit: AuditDep) -> Response:
    """A resident's testing history: state, samples with results, retest orders."""
    ensure_in_scope(reader, MEDICAL_READ,
                    service.resident_area(session, resident_id=resident_id), "resident")
    history = service.testing_history(session, resident_id=resident_id)
    audit("read", "testing_history", resident_id, person_id=resident_id)
    return render(request, "testing/history.html", {"history": history,
                                                    "resident": history.resident,
                                                    "section": "testing"})


@router.get("/testing/retests")
def retests_page(
    request: Request, session: DbSession, reader: MedicalReader, audit: AuditDep,
    status: Annotated[str, Query(pattern="^(open|negative|positive)$")] = "open",
    offset: Offset = 0,
) -> Response:
    """Retest orders of residents inside the caller's area, oldest first."""
    rows = service.list_retests(session, status=status, limit=PAGE + 1, offset=offset,
                                area=reader.area_for(MEDICAL_READ))
    audit("read", "retest_list", status, people=[r.id for _, r in rows[:PAGE]])
    return render(request, "testing/retests.html", {
        "rows": rows[:PAGE], "status": status, "offset": offset, "page": PAGE,
        "has_more": len(rows) > PAGE, "section": "testing",
    })
