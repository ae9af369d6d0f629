"""HTML routes of the quarantine domain (each sub-entity's router, mounted here)."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.quarantine.placement import pages as placement
from epidesk.quarantine.transfers import pages as transfers

router = APIRouter(include_in_schema=False)
router.include_router(placement.router)
router.include_router(transfers.router)
