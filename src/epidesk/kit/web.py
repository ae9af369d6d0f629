"""The web dependencies every domain's api.py and pages.py share (through its deps.py).

One session dependency, one id type, one problem-response table, and the interface of
the checks on who is calling: the kit defines them; `auth` installs the gatekeeper that
implements them when the application starts (`install_gatekeeper`), so the kit
imports no domain.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from typing import Annotated, Protocol

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from epidesk.db import request_session
from epidesk.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    problem_responses,
)
from epidesk.kit.access import AreaPath, Caller
from epidesk.kit.access import outside as outside  # for every domain's deps
from epidesk.kit.access import shows as shows
from epidesk.kit.i18n import _
from epidesk.kit.inputs import UNSTORABLE, RecordId, is_record_id

# A browser page calling the API with its session cookie proves it is the platform's
# own page by echoing the session's CSRF token in this header.
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

DbSession = Annotated[Session, Depends(request_session, scope="function")]
# A record's id in the path: ASCII digits, positive, within a 32-bit integer column.
Id = Annotated[RecordId, Path()]

PROBLEM_RESPONSES = problem_responses(
    (401, "Not signed in: sign in, or send a bearer token"),
    (403, "Not allowed: the caller lacks the permission"),
    (404, "Not found, or outside the caller's area"),
    (405, "Method not allowed (the Allow header lists the path's methods)"),
    (413, "Too large: the request body, or the rows or memory of an uploaded file"),
    (422, "Invalid input: the problem names the field"),
)

# Public routes (no account needed) answer only these problems.
PUBLIC_PROBLEM_RESPONSES = problem_responses(
    (404, "Not found"),
    (405, "Method not allowed (the Allow header lists the path's methods)"),
    (413, "Too large: the request body"),
    (422, "Invalid input: the problem names the field"),
)
# A route's own conflict (documented where a route can answer it).
CONFLICT_RESPONSE = problem_responses((409, "Conflict: the detail says what to do first"))


class CsvResponse(PlainTextResponse):
    """A CSV download (documented as text/csv)."""

    media_type = "text/csv"


def storable_text(request: Request) -> None:
    """Refuse a query or path value holding a NUL character (no database text can hold
    one) with 422 naming it: the application's dependency for every route."""
    found = [("query", name) for name, value in request.query_params.multi_items()
             if UNSTORABLE.search(name) or UNSTORABLE.search(value)]
    found += [("path", name) for name, value in request.path_params.items()
              if isinstance(value, str) and UNSTORABLE.search(value)]
    if found:
        raise RequestValidationError([
            {"loc": loc, "msg": "Input should be text without NUL characters", "type": "text"}
            for loc in found])


class Gatekeeper(Protocol):
    """What the kit asks of the accounts domain: who calls, and the audit log."""

    def caller(self, request: Request, session: Session) -> Caller | None:
        """The signed-in caller (cookie or bearer token), or None."""
        ...

    def record(self, request: Request, session: Session, caller: Caller | None, *,
               action: str, record_type: str, record_id: str | int,
               person_id: int | None, people: Iterable[int] = (),
               reason: str | None = None) -> None:
        """Append an audit entry for a read or a change of personal data, naming every
        resident it returned (`people`) and, for a change that needs one, its written
        `reason`."""
        ...

    def expected_csrf(self, request: Request) -> str | None:
        """The CSRF token a form posted in this request must carry, if any."""
        ...


_gatekeeper: Gatekeeper | None = None


def install_gatekeeper(gatekeeper: Gatekeeper) -> None:
    """Called once at start-up by the application factory with auth's implementation."""
    global _gatekeeper
    _gatekeeper = gatekeeper


def gatekeeper() -> Gatekeeper:
    """The installed gatekeeper (the application factory installs it)."""
    if _gatekeeper is None:
        raise RuntimeError("no gatekeeper installed: build the app with epidesk.app.create_app")
    return _gatekeeper


def optional_caller(request: Request, session: DbSession) -> Caller | None:
    """The caller, if signed in (cookie) or holding a live bearer token; else None."""
    if hasattr(request.state, "caller"):
        return request.state.caller  # type: ignore[no-any-return]
    caller = gatekeeper().caller(request, session)
    request.state.caller = caller
    if caller is not None and _cookie_session(request) and _unsafe_api_call(request):
        check_csrf(request, request.headers.get(CSRF_HEADER),
                   what=f"a signed-in page's API call must send its {CSRF_HEADER} header")
    return caller


def current_caller(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    """The caller, who must be signed in."""
    if caller is None:
        raise AuthenticationError(_("sign in, or send a bearer token, to use this"))
    return caller


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]
CallerDep = Annotated[Caller, Depends(current_caller)]


def require(permission: str) -> Callable[..., Caller]:
    """A dependency that admits callers holding the permission somewhere."""

    def check(caller: CallerDep) -> Caller:
        if not caller.can(permission):
            raise PermissionDeniedError(
                _("this needs the permission %(permission)r", permission=permission))
        return caller

    check.__name__ = f"require_{permission.replace('.', '_')}"
    check.permission = permission  # type: ignore[attr-defined]
    return check


def ensure_in_scope(caller: Caller, permission: str, path: AreaPath | None,
                    what: str, ident: int | str | None = None) -> None:
    """Refuse a record outside the caller's area exactly as if it did not exist.

    Give `ident` when the route's own "not found" names the record's id, so that both
    answers read the same.
    """
    if not shows(caller, permission, path):
        raise NotFoundError(f"no {what}" if ident is None else f"no {what} {ident}")


class Auditor:
    """Records reads and changes of personal data for the current request."""

    def __init__(self, request: Request, session: Session, caller: Caller | None):
        self.request = request
        self.session = session
        self.caller = caller

    def __call__(self, action: str, record_type: str, record_id: str | int,
                 person_id: int | None = None, people: Iterable[int] = (),
                 reason: str | None = None) -> None:
        """One entry: the record, its resident (`person_id`), for a list or a record that
        shows others every resident it returned (`people`), and for a change that must be
        justified the written `reason`."""
        gatekeeper().record(self.request, self.session, self.caller, action=action,
                            record_type=record_type, record_id=record_id,
                            person_id=person_id, people=people, reason=reason)


def auditor(request: Request, session: DbSession, caller: OptionalCaller) -> Auditor:
    """A dependency that gives routes an audit recorder."""
    return Auditor(request, session, caller)


AuditDep = Annotated[Auditor, Depends(auditor)]

# The statuses of a refused attempt: not allowed, or not found (outside the caller's area).
REFUSED_STATUSES = frozenset({403, 404})


def audits(route: object) -> bool:
    """Whether a route records its reads in the audit log (it shows personal data)."""
    found: bool | None = getattr(route, "_epidesk_audits", None)
    if found is None:
        dependant = getattr(route, "dependant", None)
        found = dependant is not None and _depends_on(dependant, auditor)
        with suppress(AttributeError):
            route._epidesk_audits = found  # type: ignore[attr-defined]
    return found


def _depends_on(dependant: object, call: Callable[..., object]) -> bool:
    for sub in getattr(dependant, "dependencies", ()):
        if getattr(sub, "call", None) is call or _depends_on(sub, call):
            return True
    return False


def record_refusal(request: Request, status: int) -> None:
    """Record a signed-in caller's refused attempt on a personal-data route (action
    "refused"), in a session of its own: the request's own was rolled back."""
    route = request.scope.get("route")
    caller = getattr(request.state, "caller", None)
    if status not in REFUSED_STATUSES or caller is None or route is None or not audits(route):
        return
    params = request.scope.get("path_params") or {}
    person = str(params.get("resident_id", ""))
    provide = request.app.dependency_overrides.get(request_session, request_session)
    with contextmanager(provide)() as session:
        gatekeeper().record(request, session, caller, action="refused",
                            record_type=f"http_{status}",
                            record_id=",".join(f"{k}={v}" for k, v in params.items())[:64],
                            person_id=int(person) if is_record_id(person) else None)


def csrf_token(request: Request) -> str:
    """The CSRF token the forms of a signed-in page must carry ("" without a page session)."""
    return getattr(request.state, "csrf_token", "") or ""


def check_csrf(request: Request, submitted: str | None, *,
               what: str = "the form's CSRF token is missing or wrong; reload the page") -> None:
    """Refuse a form post (or cookie API call) whose CSRF token does not match the session."""
    expected = gatekeeper().expected_csrf(request)
    if not expected or not submitted or not hmac.compare_digest(expected.encode(),
                                                                submitted.encode()):
        raise PermissionDeniedError(what)


def _cookie_session(request: Request) -> bool:
    # The gatekeeper leaves the session's CSRF token on the request only for a caller
    # signed in by cookie; a bearer token is not sent by browsers on their own.
    return bool(getattr(request.state, "csrf_token", None))


def _unsafe_api_call(request: Request) -> bool:
    return request.method in UNSAFE_METHODS and request.url.path.startswith("/api/")
