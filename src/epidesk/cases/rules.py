"""Case rules on plain values: classification, re-positive linking, the daily bulletin."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from epidesk.kit import i18n
from epidesk.kit.clock import aware, local_day
from epidesk.kit.i18n import _l

ASYMPTOMATIC = "asymptomatic"
CONFIRMED = "confirmed"
CLASSIFICATIONS = (ASYMPTOMATIC, CONFIRMED)
ACTIVE = "active"
WITHDRAWN = "withdrawn"
STATUSES = (ACTIVE, WITHDRAWN)
MIN_REASON_LENGTH = 5

# Event kinds in an episode's history.
REPORTED = "reported"
REPOSITIVE = "repositive"
RECLASSIFIED = "reclassified"
WITHDRAWAL = "withdrawn"

i18n.register_labels("case_classification", {ASYMPTOMATIC: _l("asymptomatic infection"),
                                             CONFIRMED: _l("confirmed case")})
i18n.register_labels("case_status", {ACTIVE: _l("active"), WITHDRAWN: _l("withdrawn")})
i18n.register_labels("case_event", {REPORTED: _l("reported"),
                                    REPOSITIVE: _l("positive again"),
                                    RECLASSIFIED: _l("reclassified as confirmed"),
                                    WITHDRAWAL: _l("withdrawn")})


def classification_at_report(onset_date: date | None) -> str:
    """A new episode is confirmed when symptoms were recorded, else asymptomatic."""
    return CONFIRMED if onset_date is not None else ASYMPTOMATIC


@dataclass(frozen=True)
class EpisodeFacts:
    """What linking and the bulletin need to know about an episode."""

    id: int
    district_id: int
    imported: bool
    status: str
    sampling_date: date
    asymptomatic_on: date | None
    confirmed_on: date | None
    recorded_at: datetime
    reclassified_at: datetime | None
    withdrawn_at: datetime | None


def episode_to_link(episodes: Iterable[EpisodeFacts], sampling_date: date,
                    window_days: int) -> int | None:
    """The active episode a new positive belongs to, or None when it is a new infection.

    A positive sampled within the re-positive window of an active episode's first
    positive sample is the same infection; the nearest such episode wins.
    """
    best: tuple[int, int] | None = None
    for episode in episodes:
        if episode.status != ACTIVE:
            continue
        gap = abs((sampling_date - episode.sampling_date).days)
        if gap <= window_days and (best is None or gap < best[0]):
            best = (gap, episode.id)
    return best[1] if best else None


def isolation_date(diagnosed_at: datetime, isolated_at: datetime | None, zone: tzinfo) -> date:
    """The city's day a case was isolated: as a pool-positive member if earlier, else at
    diagnosis."""
    moment = diagnosed_at
    if isolated_at is not None and aware(isolated_at) < aware(diagnosed_at):
        moment = isolated_at
    return local_day(moment, zone)


def reclassification_problem(classification: str, status: str, target: str,
                             allowed: Mapping[str, Sequence[str]]) -> str | None:
    """None when the episode may be reclassified to target, else why not."""
    if status != ACTIVE:
        return "a withdrawn case cannot be reclassified"
    if target == classification:
        return f"the case is already {classification}"
    if target not in allowed.get(classification, ()):
        return f"the preset does not allow reclassifying {classification} as {target}"
    return None


def withdrawal_problem(status: str, reason: str) -> str | None:
    """None when the episode may be withdrawn with this reason, else why not."""
    if status == WITHDRAWN:
        return "the case is already withdrawn"
    if len(reason.strip()) < MIN_REASON_LENGTH:
        return f"give a reason of at least {MIN_REASON_LENGTH} characters"
    return None


# ------------------------------------------------------------------ the daily bulletin


@dataclass
class Counts:
    """New cases of one day in one district and origin."""

    new_confirmed: int = 0
    new_asymptomatic: int = 0
    reclassified: int = 0

    @property
    def confirmed_total(self) -> int:
        """New confirmed cases, including asymptomatic infections reclassified that day."""
        return self.new_confirmed + self.reclassified

    def add(self, other: Counts) -> None:
        """Add other's counts to these."""
        self.new_confirmed += other.new_confirmed
        self.new_asymptomatic += other.new_asymptomatic
        self.reclassified += other.reclassified


@dataclass
class DistrictCounts:
    """A district's new cases of one day, local and imported."""

    district_id: int
    local: Counts = field(default_factory=Counts)
    imported: Counts = field(default_factory=Counts)

    @property
    def total(self) -> Counts:
        """Local and imported together."""
        out = Counts()
        out.add(self.local)
        out.add(self.imported)
        return out


def known_at(episode: EpisodeFacts, as_of: datetime) -> bool:
    """Whether the episode existed, and was not withdrawn, at the moment as_of."""
    if episode.recorded_at > as_of:
        return False
    return episode.withdrawn_at is None or episode.withdrawn_at > as_of


def day_counts(episodes: Iterable[EpisodeFacts], day: date, as_of: datetime,
               district_ids: Sequence[int]) -> list[DistrictCounts]:
    """Each district's new cases of a day, counted as the data stood at as_of.

    New confirmed: reported confirmed that day. New asymptomatic: reported asymptomatic
    that day (even if reclassified since). Reclassified: asymptomatic infections
    reclassified as confirmed that day. Withdrawn cases count until their withdrawal.
    """
    rows = {d: DistrictCounts(district_id=d) for d in district_ids}
    for episode in episodes:
        if not known_at(episode, as_of):
            continue
        row = rows.setdefault(episode.district_id, DistrictCounts(episode.district_id))
        counts = row.imported if episode.imported else row.local
        if episode.asymptomatic_on == day:
            counts.new_asymptomatic += 1
        if episode.asymptomatic_on is None and episode.confirmed_on == day:
            counts.new_confirmed += 1
        if (episode.asymptomatic_on is not None and episode.confirmed_on == day
                and episode.reclassified_at is not None and episode.reclassified_at <= as_of):
            counts.reclassified += 1
    return list(rows.values())


@dataclass(frozen=True)
class BulletinRow:
    """One district's line of a daily bulletin."""

    district_id: int
    code: str
    name: str
    name_local: str
    counts: DistrictCounts


@dataclass(frozen=True)
class Bulletin:
    """New cases of one day by district, local and imported, as the data stood at as_of."""

    day: date
    as_of: datetime
    rows: list[BulletinRow]
    total: DistrictCounts
