"""Whether an exposure may be recorded. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


def exposure_problem(*, resident_a: int, resident_b: int, at: dt.datetime, setting: str,
                     settings: Mapping[str, str], now: dt.datetime) -> str | None:
    """None when an exposure may be recorded, else what is wrong with it."""
    if resident_a == resident_b:
        return "an exposure needs two different residents"
    if at.tzinfo is None:
        return "give the time of the exposure with its UTC offset"
    if at > now + dt.timedelta(minutes=5):
        return "the exposure is in the future"
    if setting not in settings:
        return f"unknown setting {setting!r}; the preset's settings: {', '.join(settings)}"
    return None
