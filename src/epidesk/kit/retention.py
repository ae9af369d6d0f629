"""Retention: delete or pseudonymise resolved records after a number of days.

Each domain lists its policies as RETENTION_POLICIES in its repository (found through
the manifest of domains); `run`
applies them all (or, by default, only counts what it would touch). The audit log
is not subject to retention: it is append-only, enforced by the database.

Records whose period is fixed by their own rule rather than by the retention period
(public trajectories, deleted a set number of days after the last exposure, in the
database and in published files) are removed by jobs a domain offers as
RETENTION_JOBS in its deps.py; `run` runs them too, dry or not alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from epidesk.db import Base
from epidesk.errors import ValidationFailedError
from epidesk.kit.domains import offered

REMOVED = "(removed)"


@dataclass(frozen=True)
class RetentionPolicy:
    """Which records are resolved, since when, and what happens to them after the period."""

    name: str
    description: str
    model: type[Base]
    # Given the cutoff, the condition that selects resolved records older than it.
    selects: Callable[[datetime], ColumnElement[bool]]
    action: Literal["delete", "pseudonymise"]
    replacements: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionOutcome:
    """What one policy touched (or would touch, in a dry run)."""

    policy: str
    action: str
    records: int


class RetentionJob(Protocol):
    """A domain's own deletion: what it removed (or would remove) as of `now`."""

    def __call__(self, session: Session, *, now: datetime, dry_run: bool
                 ) -> RetentionOutcome:
        """Run the job (only count, when dry_run)."""
        ...


def jobs() -> list[RetentionJob]:
    """Every domain's retention jobs."""
    found: list[RetentionJob] = []
    for jobs_of_domain in offered("deps", "RETENTION_JOBS"):
        found.extend(jobs_of_domain)
    return found


def policies() -> list[RetentionPolicy]:
    """Every domain's retention policies."""
    found: list[RetentionPolicy] = []
    for policies_of_domain in offered("repository", "RETENTION_POLICIES"):
        found.extend(policies_of_domain)
    return found


def run(session: Session, *, days: int, now: datetime, dry_run: bool = True,
        only: Sequence[RetentionPolicy] | None = None) -> list[RetentionOutcome]:
    """Apply (or count, when dry_run) every policy to records resolved more than days ago."""
    if days < 1:
        raise ValidationFailedError(f"the retention period must be at least 1 day, not {days}")
    cutoff = now - timedelta(days=days)
    outcomes = []
    for policy in only if only is not None else policies():
        condition = policy.selects(cutoff)
        count = session.scalar(select(func.count()).select_from(policy.model).where(condition))
        if not dry_run and count:
            if policy.action == "delete":
                session.execute(delete(policy.model).where(condition))
            else:
                session.execute(update(policy.model).where(condition)
                                .values(**policy.replacements))
        outcomes.append(RetentionOutcome(policy.name, policy.action, int(count or 0)))
    if only is None:
        outcomes += [job(session, now=now, dry_run=dry_run) for job in jobs()]
    session.flush()
    return outcomes
