"""Contact-tracing rules on plain values: windows, tiers, evidence in words, follow-up.

Close contacts of a case are found in its close-contact window: from the preset's
`days_before` days before symptom onset (confirmed cases) or sampling (asymptomatic
infections) until the case was isolated. A confirmed case with an onset date counts
from the earlier of onset and sampling, so that a reclassification never shortens the
window. Dates are the city's civil dates in its time zone; times are instants.

Settings of an exposure and the preset rule each one follows:

- `household`: lives in the case's household (contacts.close_settings "household"),
  for the whole window;
- `work_group` and `school_class`: a member of the same work group or class while both
  memberships and the window overlap (close_settings "shared_workplace");
- `venue`: a visit to the same venue overlapping the case's visit, inside the window,
  by at least contacts.venue_co_visit.min_overlap_minutes;
- `exposure`: an exposure an investigator recorded, at a moment inside the window,
  unless it was recorded as protected (close_settings names its kind).

Where the preset identifies sub-close contacts, the people who shared a household
("lived"), work group ("worked"), class ("studied") or a recorded exposure with a
direct close contact of a case, from that contact's first exposure to the case until
the contact was isolated, are sub-close contacts of that case. When a direct close
contact becomes a case itself and the preset says so, the people who shared those
settings with it from its first exposure to any other case until its isolation become
close contacts of its own case ("promoted"). A contact's isolation is when it was
first identified, unless recorded otherwise, and never after its own case's isolation.

A person's tier is close when any active evidence is close, else sub-close; a
classification without active evidence is withdrawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from epidesk.kit import clock, i18n
from epidesk.kit.i18n import _l
from epidesk.kit.paging import MAX_LIST as MAX_LIST
from epidesk.policy.rules import close_contact_window, quarantine_plan
from epidesk.policy.schemas import Preset

# ------------------------------------------------------------------ time

# Case dates (sampling, onset, isolation) and membership dates are the city's civil
# dates in its time zone (given as a tzinfo); visit and exposure times are instants.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY = 86_400
# Unbounded ends of intervals, in seconds since the epoch.
FOREVER = clock.FOREVER
NEVER = -(2**62)


def seconds_of(moment: dt.datetime) -> int:
    """Whole seconds since the Unix epoch of an instant (naive times are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return int((aware - EPOCH) // dt.timedelta(seconds=1))


def moment_of(seconds: int) -> dt.datetime:
    """The UTC instant of seconds since the Unix epoch."""
    return EPOCH + dt.timedelta(seconds=int(seconds))


def local_midnight(day: dt.date, zone: dt.tzinfo) -> int:
    """The first second of a civil date of the city, in seconds since the epoch."""
    return seconds_of(dt.datetime.combine(day, dt.time.min, tzinfo=zone))


def local_date(seconds: int, zone: dt.tzinfo) -> dt.date:
    """The city's civil date of an instant given in seconds since the epoch."""
    return moment_of(seconds).astimezone(zone).date()


def local_time(seconds: int, zone: dt.tzinfo) -> dt.datetime:
    """An instant in the city's civil time."""
    return moment_of(seconds).astimezone(zone)


def last_exposure_date(start: int, end: int, zone: dt.tzinfo) -> dt.date:
    """The civil date of the last moment of an exposure [start, end) (or of a moment)."""
    return local_date(end - 1 if end > start else end, zone)


def _local_naive(seconds: int, zone: dt.tzinfo) -> dt.datetime:
    return local_time(seconds, zone).replace(tzinfo=None)


def _seconds_of_local(naive: dt.datetime, zone: dt.tzinfo) -> int:
    return seconds_of(naive.replace(tzinfo=zone))


def case_anchor(classification: str, sampling_date: dt.date,
                onset_date: dt.date | None) -> dt.date:
    """The day the close-contact window counts back from."""
    if classification == "confirmed" and onset_date is not None:
        return min(onset_date, sampling_date)
    return sampling_date


def case_window(*, classification: str, sampling_date: dt.date, onset_date: dt.date | None,
                isolation_date: dt.date | None, preset: Preset, now: int, zone: dt.tzinfo
                ) -> tuple[int, int]:
    """A case's close-contact window [start, end) in seconds; until now if not isolated."""
    anchor = case_anchor(classification, sampling_date, onset_date)
    # A datetime is a date: a case not yet isolated exposes people until now.
    until: dt.date = (isolation_date if isolation_date is not None
                      else _local_naive(now, zone))
    window = close_contact_window(anchor, until, preset)
    return _seconds_of_local(window.start, zone), _seconds_of_local(window.end, zone)


def membership_interval(start_date: dt.date, end_date: dt.date | None, zone: dt.tzinfo
                        ) -> tuple[int, int]:
    """A membership from its first to its last day (inclusive) as [start, end) seconds."""
    end = (FOREVER if end_date is None
           else local_midnight(end_date + dt.timedelta(days=1), zone))
    return local_midnight(start_date, zone), end


# ------------------------------------------------------------------ settings and tiers

HOUSEHOLD = "household"
WORK_GROUP = "work_group"
SCHOOL_CLASS = "school_class"
VENUE = "venue"
EXPOSURE = "exposure"
# The engine's integer code of a setting is its position here.
SETTINGS = (HOUSEHOLD, WORK_GROUP, SCHOOL_CLASS, VENUE, EXPOSURE)
SETTING_CODES = {name: i for i, name in enumerate(SETTINGS)}
SETTING_LABELS = i18n.register_labels("setting", {
    HOUSEHOLD: _l("household"),
    WORK_GROUP: _l("work group"),
    SCHOOL_CLASS: _l("school class"),
    VENUE: _l("venue visit"),
    EXPOSURE: _l("recorded exposure"),
})

CLOSE = "close"
SUB_CLOSE = "sub_close"
# Engine codes of the tiers: 1 close, 2 sub-close.
# The close-contact settings of the presets (an exposure's setting), in words.
EXPOSURE_SETTING_LABELS = i18n.register_labels("exposure_setting", {
    "household": _l("Lives in the same household"),
    "carer": _l("Cared for the case, or was cared for by the case"),
    "shared_workplace": _l("Same office, workshop or classroom"),
    "shared_enclosed_space": _l("Shared a toilet, lift or meal in an enclosed space"),
    "shared_vehicle": _l("Same vehicle, within 1 m"),
    "contaminated_environment": _l("Exposed to a contaminated environment"),
    "investigator_judgement": _l("Judged a close contact by the investigator"),
})

TIERS = (CLOSE, SUB_CLOSE)
TIER_CODES = {CLOSE: 1, SUB_CLOSE: 2}
TIER_OF_CODE = {1: CLOSE, 2: SUB_CLOSE}
TIER_LABELS = i18n.register_labels("tier", {CLOSE: _l("close contact"),
                                             SUB_CLOSE: _l("sub-close contact")})
CATEGORY_OF_TIER = {CLOSE: "close_contact", SUB_CLOSE: "sub_close_contact"}

# How a piece of evidence came about.
DIRECT = "direct"
VIA_CLOSE_CONTACT = "via_close_contact"
PROMOTED = "promoted"
DERIVATION_LABELS = i18n.register_labels("derivation", {
    DIRECT: _l("direct contact with the case"),
    VIA_CLOSE_CONTACT: _l("through a close contact"),
    PROMOTED: _l("promoted: the close contact became a case"),
})

ACTIVE = "active"
WITHDRAWN = "withdrawn"
i18n.register_labels("contact_status", {ACTIVE: _l("active"), WITHDRAWN: _l("withdrawn"),
                                        "released": _l("released")})
i18n.register_labels("contact_event", {
    "identified": _l("identified"), "reinstated": _l("reinstated"),
    "promoted": _l("promoted to close contact"), "demoted": _l("now a sub-close contact"),
    "withdrawn": _l("withdrawn"),
    "confirmed": _l("classification confirmed by an investigator"),
    "changed": _l("classification changed by an investigator"),
})

# Preset setting names that enable each membership setting for close contacts, and
# sub-close shared activities that enable each setting for sub-close contacts.
CLOSE_SETTING_OF = {HOUSEHOLD: "household", WORK_GROUP: "shared_workplace",
                    SCHOOL_CLASS: "shared_workplace"}
ACTIVITY_OF = {HOUSEHOLD: "lived", WORK_GROUP: "worked", SCHOOL_CLASS: "studied"}


def derivation_of(tier: str, via_resident_id: int | None) -> str:
    """How evidence was found: directly, through a close contact, or by promotion."""
    if via_resident_id is None:
        return DIRECT
    return PROMOTED if tier == CLOSE else VIA_CLOSE_CONTACT


@dataclass(frozen=True)
class TracingRules:
    """What a preset asks of the engine, as plain values."""

    preset: str
    close_settings: frozenset[str]
    min_overlap_seconds: int
    sub_close_settings: frozenset[str] | None
    promote: bool
    exposure_settings: Mapping[str, str]

    @property
    def sub_close(self) -> bool:
        """Whether the preset identifies sub-close contacts."""
        return self.sub_close_settings is not None


def tracing_rules(preset: Preset) -> TracingRules:
    """The engine's parameters under a preset."""
    contacts = preset.contacts
    named = contacts.close_settings.settings
    close = {s for s, name in CLOSE_SETTING_OF.items() if name in named}
    close |= {VENUE, EXPOSURE}
    sub = contacts.sub_close
    sub_settings: frozenset[str] | None = None
    if sub.identified:
        activities = set(sub.shared_activities or ())
        sub_settings = frozenset({s for s, a in ACTIVITY_OF.items() if a in activities}
                                 | {EXPOSURE})
    return TracingRules(
        preset=preset.name,
        close_settings=frozenset(close),
        min_overlap_seconds=contacts.venue_co_visit.min_overlap_minutes * 60,
        sub_close_settings=sub_settings,
        promote=bool(sub.identified and sub.become_close_if_close_contact_positive),
        exposure_settings=dict(named),
    )


def tier_of(active_tiers: Iterable[str]) -> str | None:
    """A person's tier from the tiers of their active evidence; None when there is none."""
    tiers = set(active_tiers)
    if CLOSE in tiers:
        return CLOSE
    if SUB_CLOSE in tiers:
        return SUB_CLOSE
    return None


def rule_path(setting: str, tier: str, derivation: str, exposure_setting: str | None) -> str:
    """The preset rule a piece of evidence follows, as a location in the preset."""
    if derivation == VIA_CLOSE_CONTACT:
        return "contacts.sub_close"
    if derivation == PROMOTED:
        return "contacts.sub_close.become_close_if_close_contact_positive"
    if setting == VENUE:
        return "contacts.venue_co_visit"
    if setting == EXPOSURE:
        return f"contacts.close_settings.settings.{exposure_setting or 'investigator_judgement'}"
    return f"contacts.close_settings.settings.{CLOSE_SETTING_OF[setting]}"


# ------------------------------------------------------------------ follow-up


@dataclass(frozen=True)
class PlannedTest:
    """One test of a contact's follow-up plan."""

    category: str
    day: int
    due_on: dt.date
    place: str


def follow_up_plan(tier: str, last_exposure: dt.date, preset: Preset, *,
                   home_suitable: bool = True) -> list[PlannedTest]:
    """The tests a contact of this tier must take, counted from its last exposure; a stage
    at home moves to the preset's fallback place when the home is unsuitable."""
    category = CATEGORY_OF_TIER[tier]
    rule = preset.quarantine.categories.get(category)
    if rule is None or not rule.applies:
        return []
    out: list[PlannedTest] = []
    for stage in quarantine_plan(category, last_exposure, preset):
        for day, due in zip(stage.test_days, stage.test_dates, strict=True):
            place = (stage.if_home_unsuitable
                     if not home_suitable and stage.if_home_unsuitable else stage.place)
            out.append(PlannedTest(category=category, day=day, due_on=due, place=place))
    return out


DONE = "done"
MISSED = "missed"
DUE = "due"
PLANNED = "planned"
ENDED = "ended"
TEST_STATUS_LABELS = i18n.register_labels("test_status", {
    DONE: _l("done"), MISSED: _l("missed"), DUE: _l("due today"), PLANNED: _l("planned"),
    ENDED: _l("ended (became a case)"),
})


def test_status(due_on: dt.date, sampled_on: Sequence[dt.date], *, today: dt.date,
                ended_on: dt.date | None = None) -> str:
    """done (a sample that day), missed (day passed without one), due, planned or ended."""
    if due_on in sampled_on:
        return DONE
    if ended_on is not None and due_on >= ended_on:
        return ENDED
    if due_on < today:
        return MISSED
    return DUE if due_on == today else PLANNED


def stronger_contact(kept: tuple[str, str, dt.datetime], other: tuple[str, str, dt.datetime]
                     ) -> bool:
    """Whether a contact (status, tier, first exposure) is kept over another when two
    records of one person are merged: active over withdrawn, close over sub-close, then
    the earlier first exposure."""
    def strength(c: tuple[str, str, dt.datetime]) -> tuple[bool, int, dt.datetime]:
        return (c[0] != ACTIVE, TIER_CODES.get(c[1], 9), c[2])

    return strength(kept) <= strength(other)
