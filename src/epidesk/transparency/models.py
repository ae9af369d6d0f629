"""The transparency domain's tables."""

from __future__ import annotations

from epidesk.transparency.trajectories.models import TrajectoryEntry

__all__ = ["TrajectoryEntry"]
