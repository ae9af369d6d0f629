"""Transfers as pure rules: a line's state, when it raises an alert, how a search term
reads. No session, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from epidesk.kit.i18n import _l, register_labels

WAITING, ON_BOARD, ARRIVED, MISSING, RESOLVED = (
    "waiting", "on_board", "arrived", "missing", "resolved")
STATE_LABELS = register_labels("transfer_state", {
    WAITING: _l("waiting for pickup"), ON_BOARD: _l("on board"), ARRIVED: _l("arrived"),
    MISSING: _l("missing"), RESOLVED: _l("resolved"),
})
RESOLUTIONS = register_labels("transfer_resolution", {
    "arrived_late": _l("arrived late"), "hospital": _l("taken to hospital"),
    "other_facility": _l("taken to another facility"),
    "home_order": _l("order changed to home quarantine"),
    "not_travelling": _l("did not travel (order ended or withdrawn)"),
})


@dataclass(frozen=True)
class LineFacts:
    """What decides a line's state."""

    checked_out_at: datetime | None
    checked_in_at: datetime | None
    resolved_at: datetime | None
    expected_at: datetime


def alert_due(expected_at: datetime, grace_minutes: int) -> datetime:
    """When a person not yet checked in raises an alert."""
    return expected_at + timedelta(minutes=grace_minutes)


def line_state(line: LineFacts, *, now: datetime, grace_minutes: int) -> str:
    """Waiting, on board, arrived, missing (alert open) or resolved."""
    if line.checked_in_at is not None:
        return ARRIVED
    if line.resolved_at is not None:
        return RESOLVED
    if now >= alert_due(line.expected_at, grace_minutes):
        return MISSING
    return ON_BOARD if line.checked_out_at is not None else WAITING


def search_kind(term: str) -> str:
    """How a check-in search reads: a manifest line number ("12" or "#12"), an ID number
    (letters and digits, 15 or more characters) or a name."""
    text = term.strip()
    if (text.startswith("#") and text[1:].isdigit()) or (text.isdigit() and len(text) <= 4):
        return "line"
    if len(text) >= 15 and text.replace("X", "").replace("x", "").isdigit():
        return "id_number"
    return "name"
