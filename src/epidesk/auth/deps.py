"""The accounts domain's FastAPI dependencies and its gatekeeper for the kit.

`AuthGatekeeper` tells the kit who is calling (a cookie session or a bearer token) and
appends audit entries; the application factory installs it at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.models import WebSession
from epidesk.auth.rules import Principal, SessionLifetimes
from epidesk.auth.totp.rules import reachable_while_limited
from epidesk.config import get_settings
from epidesk.errors import AuthenticationError, SecondFactorRequiredError
from epidesk.kit.access import AUDIT_READ, Caller
from epidesk.kit.web import CallerDep, OptionalCaller, require

SESSION_COOKIE = "epidesk_session"
PRESESSION_COOKIE = "epidesk_presession"


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


def web_session(request: Request) -> WebSession | None:
    """The page session of this request, when the caller used a cookie."""
    return getattr(request.state, "web_session", None)


def route_template(request: Request) -> str:
    """The path template of the request's route, with the prefix of the router that
    included it (an error raised in a route leaves only the route's own path)."""
    found = request.scope.get("route")
    template = getattr(found, "path_format", None) or getattr(found, "path", None)
    if not template:
        return request.url.path
    missing = request.url.path.count("/") - template.count("/")
    if missing > 0:
        template = "/".join(request.url.path.split("/")[:missing + 1]) + template
    return str(template)


class AuthGatekeeper:
    """The kit's gatekeeper: page sessions and bearer tokens, and the audit log."""

    def caller(self, request: Request, session: Session) -> Caller | None:
        """The signed-in user or token holder; a bad bearer token is refused outright, and
        so is a caller missing a required one-time code (except on the enrolment pages)."""
        required = get_settings().require_totp_for_administrators
        token = _bearer(request)
        if token is not None:
            principal = service.resolve_token(session, token,
                                              require_totp_for_administrators=required)
            if principal is None:
                raise AuthenticationError("the bearer token is unknown, expired or revoked")
            if principal.limited:
                raise SecondFactorRequiredError(principal.limited)
            return principal
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            found = service.resolve_session(session, secret, lifetimes=lifetimes(),
                                            require_totp_for_administrators=required)
            if found is not None:
                request.state.web_session = found[0]
                request.state.csrf_token = found[0].csrf_token
                limited = found[1].limited
                if limited and not reachable_while_limited(request.url.path):
                    raise SecondFactorRequiredError(limited)
                return found[1]
        return None

    def record(self, request: Request, session: Session, caller: Caller | None, *,
               action: str, record_type: str, record_id: str | int,
               person_id: int | None, people: Iterable[int] = (),
               reason: str | None = None) -> None:
        """Append an audit entry naming the route, the address, the purpose given (and
        the written reason of a change that needs one) and every resident returned."""
        route = route_template(request)
        given = request.query_params.get("purpose") or request.headers.get("x-epidesk-purpose")
        if reason:
            given = f"{given}; reason: {reason}" if given else f"reason: {reason}"
        service.record_access(
            session, principal=caller,
            action=action, record_type=record_type, record_id=record_id,
            person_id=person_id, people=people, route=f"{request.method} {route}",
            address=client_address(request),
            purpose=given,
        )

    def expected_csrf(self, request: Request) -> str | None:
        """The page session's token, or before sign-in the pre-session cookie's."""
        ws = web_session(request)
        return ws.csrf_token if ws else request.cookies.get(PRESESSION_COOKIE)


def _principal(caller: Caller | None) -> Principal | None:
    # The installed gatekeeper is AuthGatekeeper, whose callers are Principals.
    return caller if isinstance(caller, Principal) else None


def optional_principal(caller: OptionalCaller) -> Principal | None:
    """The caller with their grants, if signed in."""
    return _principal(caller)


def current_principal(caller: CallerDep) -> Principal:
    """The signed-in caller with their grants."""
    principal = _principal(caller)
    if principal is None:
        raise AuthenticationError("sign in, or send a bearer token, to use this")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
AuditReader = Annotated[Caller, Depends(require(AUDIT_READ))]
