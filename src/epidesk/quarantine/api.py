"""JSON routes of the quarantine domain (each sub-entity's router, mounted here)."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.kit.web import PROBLEM_RESPONSES
from epidesk.quarantine.placement import api as placement
from epidesk.quarantine.transfers import api as transfers

router = APIRouter(responses=PROBLEM_RESPONSES)
router.include_router(placement.router)
router.include_router(transfers.router)
