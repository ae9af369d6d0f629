"""The route matrix: trajectories."""

from __future__ import annotations

from tests.routes import (
    PUBLIC,
)

PUBLIC.update({
    # Anonymised trajectories: places and time windows, never a case or a person.
    ("GET", "/public/trajectories"), ("GET", "/public/trajectories/map"),
    ("GET", "/api/public/trajectories"), ("GET", "/public/trajectories.{suffix}"),
})


