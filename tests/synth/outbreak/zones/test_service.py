"""The outbreak run closed-loop under each preset: what each costs and what it buys."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from epidesk.policy.service import get_preset
from epidesk.synth.city.service import build_city
from epidesk.synth.outbreak.zones import service

PRESETS = [get_preset(n) for n in ("cn-9th-2022", "cn-20-measures-2022",
                                   "cn-10-measures-2022")]


def test_smaller_zones_restrict_fewer_residents(db: Session) -> None:
    build_city(db, people=3_000, seed=5)
    found = service.compare_presets(db, presets=PRESETS, days=14, seed=3,
                                    first_day=date(2026, 10, 1), target_daily=6.0)
    ninth, twenty, ten = found
    assert [f.preset for f in found] == [p.name for p in PRESETS]
    assert all(len(f.restricted_by_day) == 14 for f in found)
    assert ninth.zones_opened > 0 and ten.zones_opened > 0
    # Compounds restrict more residents than units, units more than households.
    assert ninth.resident_days > twenty.resident_days > ten.resident_days > 0
    assert ninth.peak_restricted >= twenty.peak_restricted >= ten.peak_restricted
    assert all(f.infections > 0 for f in found)
