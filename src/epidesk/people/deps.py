"""FastAPI dependencies of the people domain, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from epidesk.kit.access import PEOPLE_READ, Caller
from epidesk.kit.web import require

Reader = Annotated[Caller, Depends(require(PEOPLE_READ))]
