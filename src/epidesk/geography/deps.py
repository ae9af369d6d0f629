"""FastAPI dependencies of the geography domain, shared by its api and pages."""

from __future__ import annotations

from fastapi import Depends

from epidesk.kit.access import PLACES_READ
from epidesk.kit.web import require

# Every places route needs the permission to browse places.
PLACES_READER = Depends(require(PLACES_READ))
