"""The language of each request on the web: the middleware that sets it (the reader's
choice, else the browser's Accept-Language, else Chinese) and `GET /language`, the switch
on every page. The catalogues and gettext itself are in `kit.i18n`, which stays light
enough for the command line."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from epidesk.config import get_settings
from epidesk.errors import ValidationFailedError
from epidesk.kit.i18n import COOKIE, ENGLISH, LANGUAGES, accepted, known, negotiate, set_current


class LanguageMiddleware:
    """Sets the language of each request before any route or error page runs. The JSON
    API answers in English unless the client's Accept-Language asks for Chinese."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            accept = request.headers.get("accept-language")
            if str(scope.get("path", "")).startswith("/api/"):
                set_current(accepted(accept) or ENGLISH)
            else:
                set_current(negotiate(request.cookies.get(COOKIE), accept))
        await self.app(scope, receive, send)



def local_path(target: str | None, fallback: str = "/") -> str:
    """A path on this site, or the fallback (never another site: no open redirects)."""
    if not target or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


router = APIRouter(include_in_schema=False)


@router.get("/language")
def switch_language(to: Annotated[str, Query(max_length=16)],
                    next: Annotated[str, Query(max_length=2000)] = "/") -> RedirectResponse:
    """Remember the reader's language in a cookie and go back to the page (on this site)."""
    language = known(to)
    if language is None:
        raise ValidationFailedError(
            f"to: {to!r} is not a language here (choose {' or '.join(LANGUAGES)})")
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(COOKIE, language, max_age=365 * 86400, httponly=True,
                        samesite="lax", secure=get_settings().cookie_secure)
    return response
