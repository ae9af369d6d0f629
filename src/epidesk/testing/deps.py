"""FastAPI dependencies of the testing domain, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from epidesk.kit.access import MEDICAL_READ, Caller
from epidesk.kit.web import require
from epidesk.testing.service import MAX_LIST

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIST)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
