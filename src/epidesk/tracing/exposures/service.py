"""Use cases of recorded exposures: an investigator records one between two residents;
the traced cases it concerns are classified again by the next run over changes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.tracing.exposures.rules import exposure_problem
from epidesk.tracing.models import Exposure
from epidesk.tracing.retrace import service as retrace


def record_exposure(session: Session, *, resident_a: int, resident_b: int, at: datetime,
                    setting: str, protected: bool = False, place: str = "",
                    note: str | None = None, recorded_by: str, preset: Preset | None = None,
                    now: datetime | None = None) -> Exposure:
    """Record an exposure between two residents (a setting of the preset's close settings)."""
    preset = preset or active_preset()
    moment = (now or clock.now().replace(microsecond=0)).astimezone(UTC)
    problem = exposure_problem(resident_a=resident_a, resident_b=resident_b, at=at,
                               setting=setting,
                               settings=preset.contacts.close_settings.settings, now=moment)
    if problem:
        raise ValidationFailedError(problem)
    missing = {resident_a, resident_b} - people.residents_exist(
        session, [resident_a, resident_b])
    if missing:
        raise NotFoundError(f"no resident {min(missing)}")
    exposure = Exposure(resident_a_id=resident_a, resident_b_id=resident_b,
                        at=at.astimezone(UTC).replace(microsecond=0), setting=setting,
                        protected=protected,
                        place=place.strip()[:200], note=(note or "").strip() or None,
                        recorded_by=recorded_by[:64], recorded_at=moment)
    session.add(exposure)
    session.flush()
    # An exposure inside a traced case's window makes it due for classifying again.
    retrace.after_exposure(session, exposure=exposure, now=moment)
    return exposure
