"""Pages that belong to no single domain: the public landing page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from epidesk.cases import service as cases
from epidesk.db import request_session
from epidesk.templating import render

router = APIRouter(include_in_schema=False)

DbSession = Annotated[Session, Depends(request_session, scope="function")]


@router.get("/")
def landing(request: Request, session: DbSession) -> Response:
    """The public landing page, with the city's new cases of the last seven days.

    Only city-wide totals are shown: no district, no person.
    """
    return render(request, "index.html", {"trend": cases.recent_days(session, days=7)})
