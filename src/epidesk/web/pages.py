"""Pages that belong to no single domain: the public landing page."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from epidesk.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def landing(request: Request) -> Response:
    """The public landing page."""
    return render(request, "index.html")
