"""HTML routes of the quarantine domain (each sub-entity's router, mounted here)."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.quarantine.placement import pages as placement

router = APIRouter(include_in_schema=False)
router.include_router(placement.router)
