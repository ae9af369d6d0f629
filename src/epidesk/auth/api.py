"""Who is calling (cookie session or bearer token), permission checks, tokens, audit API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.models import WebSession
from epidesk.auth.rules import AreaPath, Principal, SessionLifetimes
from epidesk.config import get_settings
from epidesk.db import request_session
from epidesk.errors import AuthenticationError, NotFoundError, PermissionDeniedError

SESSION_COOKIE = "epidesk_session"
PRESESSION_COOKIE = "epidesk_presession"

router = APIRouter(tags=["auth"])
SessionDep = Annotated[Session, Depends(request_session, scope="function")]


def lifetimes() -> SessionLifetimes:
    """Session lifetimes from the settings."""
    s = get_settings()
    return SessionLifetimes(absolute=timedelta(hours=s.session_absolute_hours),
                            idle=timedelta(minutes=s.session_idle_minutes))


def client_address(request: Request) -> str:
    """The caller's network address as the server saw it."""
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller, if signed in (cookie) or holding a live bearer token; else None."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    principal: Principal | None = None
    token = _bearer(request)
    if token is not None:
        principal = service.resolve_token(session, token)
        if principal is None:
            raise AuthenticationError("the bearer token is unknown, expired or revoked")
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            found = service.resolve_session(session, secret, lifetimes=lifetimes())
            if found is not None:
                request.state.web_session = found[0]
                principal = found[1]
    request.state.principal = principal
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller, who must be signed in."""
    if principal is None:
        raise AuthenticationError("sign in, or send a bearer token, to use this")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that admits callers holding the permission somewhere."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise PermissionDeniedError(f"this needs the permission {permission!r}")
        return principal

    check.__name__ = f"require_{permission.replace('.', '_')}"
    check.permission = permission  # type: ignore[attr-defined]
    return check


def ensure_in_scope(principal: Principal, permission: str, path: AreaPath | None,
                    what: str, ident: int | str | None = None) -> None:
    """Refuse a record outside the caller's area exactly as if it did not exist.

    Give `ident` when the route's own "not found" names the record's id, so that both
    answers read the same.
    """
    if path is None or not principal.may(permission, path):
        raise NotFoundError(f"no {what}" if ident is None else f"no {what} {ident}")


def web_session(request: Request) -> WebSession | None:
    """The page session of this request, when the caller used a cookie."""
    return getattr(request.state, "web_session", None)


def csrf_token(request: Request) -> str:
    """The CSRF token the forms of a signed-in page must carry ("" without a page session)."""
    ws = web_session(request)
    return ws.csrf_token if ws else ""


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post whose CSRF token does not match the caller's session."""
    ws = web_session(request)
    expected = ws.csrf_token if ws else request.cookies.get(PRESESSION_COOKIE)
    if not expected or not submitted or not _same(expected, submitted):
        raise PermissionDeniedError("the form's CSRF token is missing or wrong; reload the page")


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


class Auditor:
    """Records reads and changes of personal data for the current request."""

    def __init__(self, request: Request, session: Session, principal: Principal | None):
        self.request = request
        self.session = session
        self.principal = principal

    def __call__(self, action: str, record_type: str, record_id: str | int,
                 person_id: int | None = None) -> None:
        route = getattr(self.request.scope.get("route"), "path", self.request.url.path)
        service.record_access(
            self.session, principal=self.principal, action=action, record_type=record_type,
            record_id=record_id, person_id=person_id, route=f"{self.request.method} {route}",
            address=client_address(self.request),
            purpose=self.request.query_params.get("purpose")
            or self.request.headers.get("x-epidesk-purpose"),
        )


def auditor(request: Request, session: SessionDep,
            principal: Annotated[Principal | None, Depends(optional_principal)]) -> Auditor:
    """A dependency that gives routes an audit recorder."""
    return Auditor(request, session, principal)


AuditDep = Annotated[Auditor, Depends(auditor)]


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
    name: str = Field(min_length=1, max_length=100)
    days: int = Field(default=30, ge=1, le=365)


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
def revoke_token(token_id: int, principal: PrincipalDep, session: SessionDep) -> TokenOut:
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


AuditReader = Annotated[Principal, Depends(require("audit.read"))]


@dataclass(frozen=True)
class AuditFilters:
    """Which audit entries a search or an export asks for."""

    person_id: int | None = None
    username: str | None = Query(default=None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None


Filters = Annotated[AuditFilters, Depends()]


@router.get("/audit", response_model=list[AuditOut])
def search_audit(
    _: AuditReader,
    session: SessionDep,
    filters: Filters,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> list[AuditOut]:
    """Search the audit log by person, user and time (auditors and administrators)."""
    entries = service.search_audit(session, **asdict(filters), limit=limit, offset=offset)
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries]


@router.get("/audit.csv", response_class=PlainTextResponse)
def export_audit(_: AuditReader, session: SessionDep, filters: Filters) -> PlainTextResponse:
    """The matching audit entries as CSV (at most 100,000 rows)."""
    entries = service.search_audit(session, **asdict(filters), limit=100_000, offset=0)
    return PlainTextResponse(service.audit_csv(entries), media_type="text/csv",
                             headers={"content-disposition": "attachment; filename=audit.csv"})
