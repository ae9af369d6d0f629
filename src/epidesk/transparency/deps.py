"""What the transparency domain offers the kit's registration points."""

from __future__ import annotations

from epidesk.transparency.trajectories.deps import RETENTION_JOBS

__all__ = ["RETENTION_JOBS"]
