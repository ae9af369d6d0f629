"""HTML routes of transparency: the public pages and open-data files (no account), served
as stored at publication, and the staff page that publishes on demand."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from epidesk.errors import NotFoundError
from epidesk.kit import i18n
from epidesk.kit.inputs import DIGITS, Day, Ge, Le, OptionalDay
from epidesk.kit.templating import render
from epidesk.kit.web import DbSession, check_csrf, csrf_token
from epidesk.transparency import service
from epidesk.transparency.deps import (
    FILE_CACHE_CONTROL,
    PAGE_CACHE_CONTROL,
    STAMP_SECONDS,
    CachedPage,
    Publisher,
    page_cache,
    publish,
)
from epidesk.transparency.engine import MEDIA_TYPES
from epidesk.transparency.site.service import (
    CHANGES,
    DATA,
    DISTRICTS,
    LANDING,
    LATEST_PAGES,
    SNAPSHOTS,
    snapshot_path,
)
from epidesk.transparency.trajectories.pages import router as trajectories

router = APIRouter(include_in_schema=False)
router.include_router(trajectories)
# Answers below this size are sent as they are (as the application's gzip does).
GZIP_FROM = 1024


class CachedPublicPages:
    """The publication spike's fast path: a GET of a latest public page or of a dated
    open-data file that this process already holds is answered here, from memory, with
    its gzip form made once, before routing, dependencies or a database session. Anything
    else, and a cache this process must refresh (at most once a second), goes on to the
    routes above, which fill the cache. The language and security headers come from the
    middleware outside this one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzipped: dict[tuple[object, str], bytes] = {}

    def _found(self, path: str) -> tuple[tuple[object, str], bytes, list[tuple[bytes, bytes]]
                                         ] | None:
        if path in LATEST_PAGES:
            stamp = page_cache.stamp
            if stamp is None or time.monotonic() - page_cache.checked >= STAMP_SECONDS:
                return None
            language = i18n.current()
            page = page_cache.pages.get((stamp[0], path, language))
            if page is None:
                return None
            return ((stamp[0], path, language), page.etag), page.body, [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", PAGE_CACHE_CONTROL.encode()),
                (b"vary", b"Accept-Language, Cookie, Accept-Encoding"),
                (b"content-language", i18n.HTML_LANG[language].encode())]
        parts = path.split("/")
        if len(parts) != 6 or "/".join(parts[:3]) != DATA or not parts[4].startswith("v"):
            return None
        try:
            key = (dt.date.fromisoformat(parts[3]), int(parts[4][1:]), parts[5])
        except ValueError:
            return None
        stored = page_cache.files.get(key)
        if stored is None:
            return None
        digest, content, fmt = stored
        return (key, digest), content, [
            (b"content-type", MEDIA_TYPES[fmt].encode()),
            (b"cache-control", FILE_CACHE_CONTROL.encode()), (b"vary", b"Accept-Encoding"),
            (b"content-disposition", f'inline; filename="{parts[5]}"'.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or scope.get("query_string") or not scope["path"].startswith(LANDING)):
            await self.app(scope, receive, send)
            return
        found = self._found(scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        key, body, headers = found
        etag = f'"{key[1]}"'.encode()
        asked = dict(scope["headers"])
        headers.append((b"etag", etag))
        if asked.get(b"if-none-match") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if len(body) >= GZIP_FROM and b"gzip" in asked.get(b"accept-encoding", b""):
            packed = self.gzipped.get(key)
            if packed is None:
                packed = gzip.compress(body, compresslevel=6, mtime=0)
                if len(self.gzipped) > 4096:
                    self.gzipped.clear()
                self.gzipped[key] = packed
            body = packed
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})


# Installed by the application inside the language middleware (see app.py).
MIDDLEWARE = (CachedPublicPages,)
FileName = Annotated[str, Path(pattern=r"^[a-z0-9_][a-z0-9_.-]{0,119}$")]
Version = Annotated[int, Ge(1), Le(10_000), DIGITS, Path()]


def _answer(request: Request, page: CachedPage, *, media_type: str, cache_control: str,
            vary: bool) -> Response:
    headers = {"ETag": f'"{page.etag}"', "Cache-Control": cache_control}
    if vary:
        headers["Vary"] = "Accept-Language, Cookie"
        headers["Content-Language"] = i18n.HTML_LANG[i18n.current()]
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=media_type, headers=headers)


def _published_page(request: Request, session: DbSession, path: str,
                    publication_id: int | None = None) -> Response:
    if publication_id is None:
        stamp = page_cache.latest(session)
        if stamp is None:
            return render(request, "transparency/nothing.html", status_code=404)
        publication_id = stamp[0]
    page = page_cache.page(session, publication_id, path, i18n.current())
    if page is None:
        raise NotFoundError("no such public page")
    return _answer(request, page, media_type="text/html; charset=utf-8",
                   cache_control=PAGE_CACHE_CONTROL, vary=True)


@router.get(LANDING)
def landing(request: Request, session: DbSession) -> Response:
    """Today's public figures: trend charts, each with its table."""
    return _published_page(request, session, LANDING)


@router.get(DISTRICTS)
def districts(request: Request, session: DbSession) -> Response:
    """The figures below city level, small counts suppressed."""
    return _published_page(request, session, DISTRICTS)


@router.get(CHANGES)
def changes(request: Request, session: DbSession) -> Response:
    """Every revision of a past figure and its reason."""
    return _published_page(request, session, CHANGES)


@router.get(SNAPSHOTS)
def snapshots(request: Request, session: DbSession) -> Response:
    """Every day's publication, newest first."""
    return _published_page(request, session, SNAPSHOTS)


@router.get(SNAPSHOTS + "/{day}")
def snapshot(request: Request, session: DbSession, day: Annotated[Day, Path()]) -> Response:
    """A day's figures as its newest version published them (counts only)."""
    found = service.publication_of(session, day=day)
    return _published_page(request, session, snapshot_path(day), found.id)


@router.get(DATA)
def data_index(request: Request, session: DbSession) -> Response:
    """The open-data files of the newest publication, with the dictionary and the API."""
    return _published_page(request, session, DATA)


@router.get(DATA + "/latest/{name}")
def latest_file(session: DbSession, name: FileName) -> Response:
    """The newest publication's file of that name (a redirect to its dated address)."""
    found = service.latest_publication(session)
    if found is None:
        raise NotFoundError("nothing has been published yet")
    return RedirectResponse(service.file_url(found.day, found.version, name), status_code=307,
                            headers={"Cache-Control": PAGE_CACHE_CONTROL})


@router.get(DATA + "/{day}/v{version}/{name}")
def dated_file(request: Request, session: DbSession, day: Annotated[Day, Path()],
               version: Version, name: FileName) -> Response:
    """A dated open-data file: never changed once published."""
    digest, content, fmt = page_cache.file(session, day, version, name)
    answer = _answer(request, CachedPage(digest, content), media_type=MEDIA_TYPES[fmt],
                     cache_control=FILE_CACHE_CONTROL, vary=False)
    answer.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return answer


@router.get("/transparency")
def staff_page(request: Request, session: DbSession, _: Publisher) -> Response:
    """The publications made so far and the button that publishes a day now."""
    return render(request, "transparency/staff.html", {
        "publications": service.catalogue(session)[:60], "csrf_token": csrf_token(request),
        "message": request.query_params.get("message", "")[:200], "section": "transparency"})


@router.post("/transparency/publish")
def publish_form(request: Request, session: DbSession, caller: Publisher,
                 day: Annotated[OptionalDay, Form()] = None,
                 csrf_token_: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """Publish a day now (default: today); an unchanged day stays as it was."""
    check_csrf(request, csrf_token_)
    result = publish(session, actor=caller.username, day=day)
    p = result.publication
    message = (f"published {p.day.isoformat()} version {p.version}" if result.created
               else f"{p.day.isoformat()} unchanged since version {p.version}")
    return RedirectResponse(f"/transparency?message={message}", status_code=303)
