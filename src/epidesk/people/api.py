"""JSON routes of the people domain."""

from fastapi import APIRouter

router = APIRouter(tags=["people"])
