"""The Jinja2 environment of every page: the shared base templates and each domain's,
with gettext (`jinja2.ext.i18n`) in the request's language (see `kit.i18n`)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from epidesk.kit import clock, i18n
from epidesk.kit.domains import template_folders


def _gettext(message: str) -> str:
    return i18n.translations(i18n.current()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.current()).ngettext(singular, plural, n)


def signed_in(request: Request) -> bool:
    """Whether the page is shown to a signed-in user (the route resolved its caller)."""
    return getattr(request.state, "caller", None) is not None


def switch_target(request: Request) -> str:
    """The page itself, to come back to after switching language."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _environment() -> Environment:
    loaders = [FileSystemLoader(str(files("epidesk") / "web" / "templates"))]
    loaders.extend(FileSystemLoader(folder) for folder in template_folders())
    env = Environment(
        loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), trim_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True)
    env.filters["thousands"] = i18n.format_number
    env.filters["day"] = i18n.format_day
    env.filters["label"] = i18n.label
    # Times are stored in UTC and shown in the city's zone, which every page names.
    env.filters["local_time"] = clock.format_local
    env.globals["city_zone"] = clock.zone_label
    env.globals["language"] = i18n.current
    env.globals["html_lang"] = lambda: i18n.HTML_LANG[i18n.current()]
    env.globals["language_names"] = i18n.NAMES
    env.globals["signed_in"] = signed_in
    env.globals["switch_target"] = switch_target
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
    *, language: str | None = None,
) -> Response:
    """Render a page template with the request in its context, in the request's language
    or in the one given (a letter in the resident's language)."""
    if language is None:
        return templates.TemplateResponse(request, name, context or {},
                                          status_code=status_code)
    with i18n.using(language):
        response = templates.TemplateResponse(request, name, context or {},
                                               status_code=status_code)
    response.headers["Content-Language"] = i18n.HTML_LANG[i18n.known(language) or i18n.DEFAULT]
    return response


def render_text(name: str, context: dict[str, Any], *, language: str) -> str:
    """Render a template to text outside a request (a page made once and stored), in
    the given language; the template must not need the request."""
    with i18n.using(language):
        return templates.env.get_template(name).render(context)
