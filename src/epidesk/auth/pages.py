"""Sign-in and sign-out pages, the account page and the auditors' log page."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from epidesk.auth import service
from epidesk.auth.deps import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    AuditReader,
    OptionalPrincipal,
    PrincipalDep,
    client_address,
    lifetimes,
    web_session,
)
from epidesk.auth.totp import service as totp
from epidesk.auth.totp.rules import ENROL_PAGE
from epidesk.config import get_settings
from epidesk.errors import (
    AuthenticationError,
    TooManyRequestsError,
    ValidationFailedError,
)
from epidesk.kit.i18n import _
from epidesk.kit.inputs import OptionalId, OptionalMoment, parse
from epidesk.kit.templating import render
from epidesk.kit.web import DbSession as SessionDep
from epidesk.kit.web import Id, check_csrf, csrf_token

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths may follow a sign-in (no open redirects)."""
    if not target:
        return "/overview"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/overview"
    return target


def _signin_form(request: Request, *, next_url: str, error: str | None = None,
                 status_code: int = 200, username: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "auth/signin.html",
                      {"csrf_token": token, "next": next_url, "error": error,
                       "username": username}, status_code)
    response.set_cookie(PRESESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure, max_age=3600)
    return response


@router.get("/signin")
def signin_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return _signin_form(request, next_url=_safe_next(next))


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/overview",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Check the password (and the one-time code, once set up) and start a page session."""
    check_csrf(request, csrf_token)
    try:
        result = service.sign_in(
            session, username=username, password=password, code=code,
            address=client_address(request), lifetimes=lifetimes(),
            require_totp_for_administrators=get_settings().require_totp_for_administrators)
    except (AuthenticationError, TooManyRequestsError) as exc:
        # The failed attempt must be kept even though the request fails.
        session.commit()
        return _signin_form(request, next_url=_safe_next(next), error=exc.detail,
                            status_code=exc.status, username=username)
    # An administrator who must still set up one-time codes goes straight to that page.
    target = ENROL_PAGE if result.principal.limited else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, result.secret, httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure,
                        max_age=int(lifetimes().absolute.total_seconds()))
    response.delete_cookie(PRESESSION_COOKIE)
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep,
            principal: OptionalPrincipal,
            csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """End the page session."""
    ws = web_session(request)
    if principal is not None and ws is not None:
        check_csrf(request, csrf_token)
        service.sign_out(session, ws)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account")
def account(request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    """Your account: roles, areas and API tokens."""
    ws = web_session(request)
    tokens = service.list_tokens(session, user_id=principal.user_id)
    return render(request, "auth/account.html",
                  {"principal": principal, "tokens": tokens,
                   "totp_on": service.totp_enrolled(session, user_id=principal.user_id),
                   "csrf_token": ws.csrf_token if ws else ""})


def _totp_page(request: Request, session: SessionDep, principal: PrincipalDep, *,
               error: str | None = None, done: str | None = None) -> Response:
    enrolment = (None if service.totp_enrolled(session, user_id=principal.user_id)
                 else totp.start_enrolment(session, user_id=principal.user_id))
    return render(request, "auth/totp.html",
                  {"enrolment": enrolment, "qr": Markup(enrolment.qr_svg) if enrolment else "",
                   "limited": principal.limited, "error": error, "done": done,
                   "csrf_token": csrf_token(request)}, 422 if error else 200)


@router.get(ENROL_PAGE)
def totp_page(request: Request, principal: PrincipalDep, session: SessionDep,
              done: Annotated[str, Query(max_length=8)] = "") -> Response:
    """Your one-time codes: set them up (secret and QR code) or see that they are on."""
    return _totp_page(request, session, principal, done=done if done in ("on", "off") else None)


@router.post(ENROL_PAGE)
def confirm_totp(
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    code: Annotated[str, Form(max_length=16)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Turn one-time codes on with the first code from your authenticator app."""
    check_csrf(request, csrf_token)
    try:
        service.confirm_totp(session, user_id=principal.user_id, code=code,
                             keep=web_session(request))
    except ValidationFailedError as exc:
        return _totp_page(request, session, principal, error=exc.detail)
    return RedirectResponse(f"{ENROL_PAGE}?done=on", status_code=303)


@router.post(f"{ENROL_PAGE}/disable")
def disable_totp(
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    password: Annotated[str, Form(max_length=256)],
    code: Annotated[str, Form(max_length=16)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Turn your one-time codes off: your password and a current code."""
    check_csrf(request, csrf_token)
    try:
        service.disable_totp(session, user_id=principal.user_id, password=password, code=code)
    except (AuthenticationError, ValidationFailedError) as exc:
        return _totp_page(request, session, principal, error=exc.detail)
    return RedirectResponse(f"{ENROL_PAGE}?done=off", status_code=303)


@router.get("/account/password")
def password_page(request: Request, principal: PrincipalDep) -> Response:
    """The form to change your own password."""
    return render(request, "auth/password.html", {"csrf_token": csrf_token(request)})


@router.post("/account/password")
def change_password(
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    current: Annotated[str, Form(max_length=256)],
    new: Annotated[str, Form(max_length=256)],
    repeat: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Change your password after checking the current one; other sessions end."""
    check_csrf(request, csrf_token)
    error: str | None = None
    if new != repeat:
        error = _("the two new passwords differ")
    else:
        try:
            service.change_password(session, user_id=principal.user_id, current=current,
                                    new=new, keep=web_session(request))
        except (AuthenticationError, ValidationFailedError) as exc:
            error = exc.detail
    return render(request, "auth/password.html",
                  {"csrf_token": request.state.csrf_token, "error": error,
                   "changed": error is None}, 422 if error else 200)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token_page(request: Request, token_id: Id, principal: PrincipalDep,
                      session: SessionDep,
                      csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Revoke one of your tokens from the account page."""
    check_csrf(request, csrf_token)
    service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    _auditor: AuditReader,
    session: SessionDep,
    person_id: Annotated[str, Query(max_length=20)] = "",
    username: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=32)] = "",
    until: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Search the audit log (auditors): by person, user and time."""
    pid = parse(OptionalId, person_id, "person_id")
    start = parse(OptionalMoment, since, "since")
    end = parse(OptionalMoment, until, "until")
    entries = service.search_audit(session, person_id=pid, username=username or None,
                                   since=start, until=end, limit=200)
    return render(request, "auth/audit.html",
                  {"entries": entries, "people": service.audit_people(session, entries),
                   "person_id": person_id, "username": username,
                   "since": since, "until": until, "query": request.url.query})
