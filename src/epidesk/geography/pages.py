"""HTML routes of the geography domain."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
