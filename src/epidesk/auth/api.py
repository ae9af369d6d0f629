"""JSON routes of the accounts domain: who am I, API tokens, the audit log."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from epidesk.auth import service
from epidesk.auth.deps import AuditReader, PrincipalDep
from epidesk.kit.inputs import DIGITS, Ge, Le, Offset, OptionalId, OptionalMoment, Text
from epidesk.kit.web import PROBLEM_RESPONSES, CsvResponse, Id
from epidesk.kit.web import DbSession as SessionDep

router = APIRouter(tags=["auth"], responses=PROBLEM_RESPONSES)


class WhoAmI(BaseModel):
    username: str
    roles: list[str]
    grants: list[dict[str, Any]]


@router.get("/auth/me", response_model=WhoAmI)
def who_am_i(principal: PrincipalDep) -> WhoAmI:
    """The caller's identity and grants."""
    return WhoAmI(username=principal.username, roles=sorted(principal.roles),
                  grants=[{"role": g.role, "scope_kind": g.scope_kind, "scope_id": g.scope_id}
                          for g in principal.grants])


class TokenIn(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    days: Annotated[int, Ge(1), Le(365), DIGITS] = 30


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    secret: str


@router.post("/auth/tokens", response_model=NewTokenOut, status_code=201)
def create_token(body: TokenIn, principal: PrincipalDep, session: SessionDep) -> NewTokenOut:
    """Create an API token for yourself; the secret is shown only in this answer."""
    new = service.create_token(session, user_id=principal.user_id, name=body.name, days=body.days)
    t = new.token
    return NewTokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at,
                       expires_at=t.expires_at, revoked_at=t.revoked_at,
                       last_used_at=t.last_used_at, secret=new.secret)


@router.get("/auth/tokens", response_model=list[TokenOut])
def list_tokens(principal: PrincipalDep, session: SessionDep) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    return [TokenOut.model_validate(t, from_attributes=True)
            for t in service.list_tokens(session, user_id=principal.user_id)]


@router.delete("/auth/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, principal: PrincipalDep, session: SessionDep) -> TokenOut:
    """Revoke one of your API tokens."""
    token = service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    return TokenOut.model_validate(token, from_attributes=True)


class AuditOut(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    record_type: str
    record_id: str
    person_id: int | None
    route: str
    purpose: str | None
    address: str
    people: list[int] = Field(default=[], description="Every other resident it returned")




@dataclass(frozen=True)
class AuditFilters:
    """Which audit entries a search or an export asks for."""

    person_id: Annotated[OptionalId, Query()] = None
    username: str | None = Query(default=None, max_length=64)
    since: Annotated[OptionalMoment, Query()] = None
    until: Annotated[OptionalMoment, Query()] = None


Filters = Annotated[AuditFilters, Depends()]


@router.get("/audit", response_model=list[AuditOut])
def search_audit(
    _: AuditReader,
    session: SessionDep,
    filters: Filters,
    limit: Annotated[int, Ge(1), Le(1000), DIGITS, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> list[AuditOut]:
    """Search the audit log by person, user and time (auditors and administrators)."""
    entries = service.search_audit(session, **asdict(filters), limit=limit, offset=offset)
    people = service.audit_people(session, entries)
    return [AuditOut.model_validate(e, from_attributes=True).model_copy(
        update={"people": people.get(e.id, [])}) for e in entries]


@router.get("/audit.csv", response_class=CsvResponse)
def export_audit(_: AuditReader, session: SessionDep, filters: Filters) -> PlainTextResponse:
    """The matching audit entries as CSV (at most 100,000 rows)."""
    entries = service.search_audit(session, **asdict(filters), limit=100_000, offset=0)
    return PlainTextResponse(service.audit_csv(entries, service.audit_people(session, entries)),
                             media_type="text/csv",
                             headers={"content-disposition": "attachment; filename=audit.csv"})
