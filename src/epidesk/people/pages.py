"""HTML routes of the people domain."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
