"""The Jinja2 environment shared by the web layer and every domain's pages."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

DOMAINS_WITH_PAGES = ("geography", "auth", "people", "policy", "testing", "cases", "tracing")


def _environment() -> Environment:
    loaders = [FileSystemLoader(str(files("epidesk") / "web" / "templates"))]
    for domain in DOMAINS_WITH_PAGES:
        folder = files("epidesk") / domain / "templates"
        loaders.append(FileSystemLoader(str(folder)))
    env = Environment(
        loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), trim_blocks=True
    )
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page template with the request in its context."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
