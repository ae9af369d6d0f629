"""JSON routes of the geography domain."""

from fastapi import APIRouter

router = APIRouter(tags=["geography"])
