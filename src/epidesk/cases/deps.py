"""FastAPI dependencies of the cases domain, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from epidesk.kit.access import CASES_WRITE, MEDICAL_READ, Caller
from epidesk.kit.web import require

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
CaseWriter = Annotated[Caller, Depends(require(CASES_WRITE))]
