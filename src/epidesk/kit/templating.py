"""The Jinja2 environment of every page: the shared base templates and each domain's."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from epidesk.kit import clock
from epidesk.kit.domains import template_folders


def _environment() -> Environment:
    loaders = [FileSystemLoader(str(files("epidesk") / "web" / "templates"))]
    loaders.extend(FileSystemLoader(folder) for folder in template_folders())
    env = Environment(
        loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), trim_blocks=True
    )
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    # Times are stored in UTC and shown in the city's zone, which every page names.
    env.filters["local_time"] = clock.format_local
    env.globals["city_zone"] = clock.zone_label
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page template with the request in its context."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
