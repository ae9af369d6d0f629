"""The FastAPI application factory: routers of every domain, problem+json errors."""

from __future__ import annotations

import logging
import sys
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epidesk import __version__, logs
from epidesk.config import get_settings
from epidesk.errors import (
    PROBLEM_JSON,
    AuthenticationError,
    DomainError,
    SecondFactorRequiredError,
)
from epidesk.kit import assets, domains, languages, web
from epidesk.kit.i18n import _, _l
from epidesk.kit.security import SecurityHeaders, allowed_methods
from epidesk.kit.templating import render
from epidesk.kit.web import record_refusal

log = logging.getLogger(__name__)

OPENAPI_URL = "/openapi.json"

# The titles of errors, which error pages show translated (the catalogues hold them).
ERROR_TITLES = [
    _l("Backup or restore failed"), _l("Bad request"), _l("Browser libraries not installed"),
    _l("Configuration error"), _l("Conflict"), _l("Database busy"),
    _l("Database unavailable"), _l("Invalid filter"), _l("Invalid input"),
    _l("Invalid protocol preset"), _l("Not allowed"), _l("Not found"), _l("Not signed in"),
    _l("One-time code required"), _l("Too many requests"), _l("Unknown protocol preset"),
    _l("Method not allowed"), _l("Error"), _l("Internal error"),
]
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"



def _problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, status
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as problem+json (API) or an error page (browser)."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        await run_in_threadpool(record_refusal, request, exc.status)
        if isinstance(exc, AuthenticationError) and _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/signin?{urlencode({'next': target})}", status_code=303)
        if isinstance(exc, SecondFactorRequiredError) and _wants_html(request):
            return RedirectResponse(exc.page, status_code=303)
        if _wants_html(request):
            return _error_page(request, exc.status, exc.title, exc.detail)
        return JSONResponse(
            exc.problem(instance=request.url.path), status_code=exc.status, media_type=PROBLEM_JSON
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors
        )
        if _wants_html(request):
            return _error_page(request, 422, "Invalid input", detail)
        return _problem(422, "Invalid input", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # A body that cannot be parsed at all (a malformed multipart or form body) is
            # invalid input like any other: 422, naming the body.
            message = str(exc.detail) if exc.detail else "the request body cannot be read"
            if _wants_html(request):
                return _error_page(request, 422, "Invalid input", f"body: {message}")
            return _problem(422, "Invalid input", f"body: {message}", request.url.path,
                            errors=[{"loc": ["body"], "msg": message, "type": "body_unreadable"}])
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        detail = str(exc.detail) if exc.detail else title
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Every method of the path, not only those of the first route that matched it.
            headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes,
                                                         request.scope))
        response = (_error_page(request, exc.status_code, title, detail) if _wants_html(request)
                    else _problem(exc.status_code, title, detail, request.url.path))
        response.headers.update(headers)
        return response

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # The database refused a value no check before it caught (a NUL in a form field,
        # a number out of a column's range): invalid input, and nothing was written.
        log.warning("database refused a value on %s %s: %s", request.method, request.url.path,
                    str(exc.orig).splitlines()[0] if exc.orig else exc)
        detail = "a value cannot be stored (NUL character, or a number out of range)"
        if _wants_html(request):
            return _error_page(request, 422, "Invalid input", detail)
        return _problem(422, "Invalid input", detail, request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_html(request):
            return _error_page(request, 500, "Internal error",
                               _("the server failed; the error is logged"))
        return _problem(
            500, "Internal error", "the server failed; the error is logged", request.url.path
        )


class BodySizeLimit:
    """Refuse request bodies over a size with 413 problem+json, before routes read them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _problem(413, "Request too large",
                            f"the request body exceeds {self.max_bytes:,} bytes",
                            scope.get("path", ""))
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def server_options() -> dict[str, Any]:
    """uvicorn's options from the settings: X-Forwarded-For is believed only when a
    configured proxy sent it, so nobody can forge the address that limits sign-ins and
    is written in the audit log."""
    settings = get_settings()
    proxies = [p.strip() for p in settings.trusted_proxies if p.strip()]
    return {"host": settings.host, "port": settings.port, "proxy_headers": bool(proxies),
            "forwarded_allow_ips": ",".join(proxies) if proxies else None}


def install_api_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc, built from the platform's own copies of the libraries."""
    favicon = assets.url("swagger-ui-dist", "favicon-32x32.png")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        assets.require("swagger-ui-dist")
        page = get_swagger_ui_html(
            openapi_url=OPENAPI_URL, title=f"{app.title} API",
            swagger_js_url=assets.url("swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css_url=assets.url("swagger-ui-dist", "swagger-ui.css"),
            swagger_favicon_url=favicon, oauth2_redirect_url=OAUTH2_REDIRECT_URL)
        return page

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        assets.require("redoc")
        page = get_redoc_html(
            openapi_url=OPENAPI_URL, title=f"{app.title} API",
            redoc_js_url=assets.url("redoc", "bundles/redoc.standalone.js"),
            redoc_favicon_url=favicon, with_google_fonts=False)
        return page


def create_app() -> FastAPI:
    """Build the application with every domain's API and page routers."""
    # The event loop answers the cached public pages itself; staff pages run in worker
    # threads. CPython lets a computing thread keep the interpreter for 5 ms before the
    # loop may take it, a wait each public answer would inherit under load.
    sys.setswitchinterval(get_settings().thread_switch_ms / 1000)
    app = FastAPI(
        dependencies=[Depends(web.storable_text)],
        title="Epidesk",
        version=__version__,
        description="Outbreak-response platform: testing, cases, contacts, zones, quarantine.",
        # The documentation pages are our own (install_api_docs): no CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    logs.install()
    assets.check_installed()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().max_body_bytes)
    # A domain's own middleware (pages.MIDDLEWARE), inside the language: the public
    # pages' fast path answers from memory in the reader's language.
    for _name, module in domains.parts("pages"):
        for middleware in getattr(module, "MIDDLEWARE", ()):
            app.add_middleware(middleware)
    app.add_middleware(languages.LanguageMiddleware)
    app.add_middleware(SecurityHeaders)  # every answer carries the headers
    # Pages, scripts and open data compressed for clients that accept it (the landing
    # page's first load stays small on a phone).
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.mount("/static", StaticFiles(directory=str(files("epidesk") / "web" / "static")),
              name="static")
    app.include_router(assets.router)
    app.include_router(languages.router)
    install_api_docs(app)
    from epidesk.auth.deps import AuthGatekeeper

    web.install_gatekeeper(AuthGatekeeper())
    for _name, module in domains.parts("api"):
        app.include_router(module.router, prefix="/api")
    for _name, module in domains.parts("pages"):
        app.include_router(module.router)
    return app
