"""Use cases of recorded exposures: an investigator records one between two residents;
the traced cases it concerns are classified again by the next run over changes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.geography import repository as geography
from epidesk.kit import clock
from epidesk.kit.i18n import _
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.tracing.exposures.rules import exposure_problem
from epidesk.tracing.models import Exposure
from epidesk.tracing.retrace import service as retrace


def record_exposure(session: Session, *, resident_a: int, resident_b: int, at: datetime,
                    setting: str, protected: bool = False, place: str = "",
                    venue_id: int | None = None, building_id: int | None = None,
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
    if venue_id is not None and building_id is not None:
        raise ValidationFailedError(_("name a venue or a building, not both"),
                                    field="building_id")
    if venue_id is not None and people.venue(session, venue_id) is None:
        raise NotFoundError(_("no venue %(id)d", id=venue_id))
    if building_id is not None and geography.building(session, building_id) is None:
        raise NotFoundError(_("no building %(id)d", id=building_id))
    exposure = Exposure(resident_a_id=resident_a, resident_b_id=resident_b,
                        at=at.astimezone(UTC).replace(microsecond=0), setting=setting,
                        protected=protected,
                        place=place.strip()[:200], venue_id=venue_id,
                        building_id=building_id, note=(note or "").strip() or None,
                        recorded_by=recorded_by[:64], recorded_at=moment)
    session.add(exposure)
    session.flush()
    # An exposure inside a traced case's window makes it due for classifying again.
    retrace.after_exposure(session, exposure=exposure, now=moment)
    return exposure
