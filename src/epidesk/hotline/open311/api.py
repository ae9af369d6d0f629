"""Open311 GeoReport v2 under /open311/v2/: services (JSON and XML), service definitions,
requests (list with filters, file one, one by id). Anonymous callers see no personal
field; filing without a key is rate-limited per address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.hotline import repository, service
from epidesk.hotline.deps import address
from epidesk.hotline.open311 import rules as open311
from epidesk.hotline.open311.deps import open311_caller, open311_view
from epidesk.hotline.schemas import Category
from epidesk.kit.access import HOTLINE_WRITE
from epidesk.kit.inputs import OptionalId, OptionalMoment, RecordId, Text
from epidesk.kit.web import (
    PUBLIC_PROBLEM_RESPONSES,
    AuditDep,
    DbSession,
    OptionalCaller,
)

router = APIRouter(prefix="/open311/v2", tags=["open311"],
                   responses={**PUBLIC_PROBLEM_RESPONSES,
                              401: {"description": "An unknown or expired api_key"},
                              429: {"description": "Too many requests from this address"}})
ApiKey = Annotated[str | None, Query(max_length=128, description="An API token, for staff")]


def _services(session: DbSession) -> list[dict[str, Any]]:
    return [open311.service(code, (t.first_response_minutes, t.resolution_minutes))
            for code, t in service.targets(session).items()]


@router.get("/services.json", summary="Open311: service list")
def services_json(session: DbSession) -> list[dict[str, Any]]:
    """Every hotline category as an Open311 service, with its targets."""
    return _services(session)


@router.get("/services.xml", summary="Open311: service list (XML)",
            response_class=Response, responses={200: {"content": {"text/xml": {}}}})
def services_xml(session: DbSession) -> Response:
    """The service list as XML."""
    return Response(open311.services_xml(_services(session)), media_type="text/xml")


@router.get("/services/{service_code}.json", summary="Open311: service definition")
def service_definition(service_code: Annotated[Category, Path()]) -> dict[str, Any]:
    """The extra attributes a service takes."""
    return open311.definition(service_code)


Status = Annotated[str | None, Query(pattern="^(open|closed)$")]


@router.get("/requests.json", summary="Open311: service requests")
def list_requests(session: DbSession, request: Request, caller: OptionalCaller,
                  audit: AuditDep, api_key: ApiKey = None,
                  service_request_id: Annotated[str | None, Query(
                      max_length=1000, pattern=r"^[0-9]{1,10}(,[0-9]{1,10})*$",
                      description="Comma-separated ids")] = None,
                  service_code: Annotated[Category | None, Query()] = None,
                  start_date: Annotated[OptionalMoment, Query()] = None,
                  end_date: Annotated[OptionalMoment, Query()] = None,
                  status: Status = None) -> list[dict[str, Any]]:
    """The newest 1,000 requests matching the filters; personal fields (description,
    address, latitude, longitude) only for hotline staff inside their area."""
    who = open311_caller(request, session, caller, api_key)
    ids = [int(x) for x in service_request_id.split(",")] if service_request_id else []
    if any(not 1 <= i <= 2**31 - 1 for i in ids):
        raise ValidationFailedError("service_request_id: ids from 1 to 2147483647",
                                    field="service_request_id")
    found = list(repository.requests_page(
        session, ids=ids, service_code=service_code, start=start_date, end=end_date,
        open_only=None if status is None else status == "open"))
    rows, people = open311_view(session, who, found)
    if people:
        audit("read", "open311_requests", "list", people=people)
    return rows


@router.get("/requests/{service_request_id}.json", summary="Open311: one service request")
def get_request(session: DbSession, request: Request, caller: OptionalCaller, audit: AuditDep,
                service_request_id: Annotated[RecordId, Path()], api_key: ApiKey = None
                ) -> list[dict[str, Any]]:
    """One request (as a list of one, as the specification has it)."""
    who = open311_caller(request, session, caller, api_key)
    ticket = repository.ticket(session, service_request_id)
    if ticket is None:
        raise NotFoundError(f"no service request {service_request_id}")
    rows, people = open311_view(session, who, [ticket])
    if people:
        audit("read", "open311_request", ticket.id, people=people)
    return rows


class RequestIn(BaseModel):
    """A new service request (Open311's fields; attribute[facility_id] as `facility_id`)."""

    service_code: Category
    description: Text = Field(min_length=1, max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: Text = Field(default="", max_length=200)
    first_name: Text = Field(default="", max_length=30)
    last_name: Text = Field(default="", max_length=30)
    phone: str = Field(default="", max_length=32, pattern=r"^[0-9+ ()-]*$")
    facility_id: OptionalId = None
    api_key: str | None = Field(default=None, max_length=128)


@router.post("/requests.json", status_code=201, summary="Open311: file a service request")
def create_request(session: DbSession, request: Request, caller: OptionalCaller,
                   body: RequestIn) -> list[dict[str, Any]]:
    """File a request (JSON). Without an api_key, rate-limited per address. The answer's
    service_notice gives the reference to follow the ticket on the hotline's page."""
    who = open311_caller(request, session, caller, body.api_key)
    if who is None or not who.can(HOTLINE_WRITE):
        service.limit_rate(session, kind="file", address=address(request))
    name = " ".join(p for p in (body.first_name.strip(), body.last_name.strip()) if p)
    ticket = service.file_ticket(session, service.NewTicket(
        channel="open311", category=body.service_code, description=body.description,
        contact_name=name, contact_phone=body.phone, address_text=body.address_string,
        lat=body.lat, lon=body.long, language="en", facility_id=body.facility_id),
        actor=who.username if who is not None else "open311")
    return [{"service_request_id": str(ticket.id),
             "service_notice": (f"Reference {ticket.reference}: follow it at "
                                f"/hotline/follow?reference={ticket.reference}"),
             "account_id": None}]
