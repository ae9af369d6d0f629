"""API shapes of the cases domain: episodes, their changes, the daily bulletin."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from epidesk.cases import rules
from epidesk.cases.models import CaseEpisode
from epidesk.kit.days import CHOSEN, ShownDay
from epidesk.kit.inputs import OptionalDay, Text
from epidesk.people.models import Resident


class Schema(BaseModel):
    """Base of the domain's output models."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class CaseEventOut(Schema):
    """Something that happened to an episode."""

    at: datetime
    kind: str
    tube_id: int | None
    actor: str
    note: str | None


class CaseOut(Schema):
    """A case episode: one infection of one resident."""

    id: int
    resident_id: int
    resident_name: str
    classification: str
    status: str
    sampling_date: date
    onset_date: date | None
    isolation_date: date | None
    reported_on: date
    diagnosed_at: datetime
    asymptomatic_on: date | None
    confirmed_on: date | None
    reclassified_at: datetime | None
    proving_tube_id: int | None
    batch_id: int | None
    district_id: int
    community_id: int
    imported: bool
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class CaseDetailOut(CaseOut):
    """A case with its history."""

    events: list[CaseEventOut]


class ReclassifyIn(BaseModel):
    """Reclassify an asymptomatic infection as a confirmed case."""

    model_config = ConfigDict(extra="forbid")

    on: OptionalDay = Field(default=None, description="Day of the reclassification (today)")
    onset_date: OptionalDay = Field(default=None, description="Symptom onset, when known")
    note: Text | None = Field(default=None, max_length=500)


class WithdrawIn(BaseModel):
    """Withdraw a case, e.g. a false positive."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=rules.MIN_REASON_LENGTH, max_length=1000)


class CountsOut(Schema):
    """New cases of one day."""

    new_confirmed: int
    new_asymptomatic: int
    reclassified: int
    confirmed_total: int


class BulletinRowOut(Schema):
    """One district's new cases of the day, local and imported."""

    district_id: int
    code: str
    name: str
    name_local: str
    local: CountsOut
    imported: CountsOut
    total: CountsOut


class BulletinOut(Schema):
    """New cases of one day by district, as the data stood at `as_of` (no identities)."""

    day: date
    shown: str = Field(default="chosen", description=(
        "Why this day: 'chosen' (asked for), 'today' (today, which has data), "
        "'latest_with_data' (today has none yet), 'no_data' (today; no day has data)"))
    as_of: datetime
    districts: list[BulletinRowOut]
    local: CountsOut
    imported: CountsOut
    total: CountsOut


def _counts(c: rules.Counts) -> CountsOut:
    return CountsOut(new_confirmed=c.new_confirmed, new_asymptomatic=c.new_asymptomatic,
                     reclassified=c.reclassified, confirmed_total=c.confirmed_total)


def bulletin_out(b: rules.Bulletin, shown: ShownDay | None = None) -> BulletinOut:
    """The API shape of a bulletin (of a day asked for unless `shown` says otherwise)."""
    return BulletinOut(
        day=b.day, shown=shown.kind if shown else CHOSEN, as_of=b.as_of,
        districts=[BulletinRowOut(district_id=r.district_id, code=r.code, name=r.name,
                                  name_local=r.name_local, local=_counts(r.counts.local),
                                  imported=_counts(r.counts.imported),
                                  total=_counts(r.counts.total)) for r in b.rows],
        local=_counts(b.total.local), imported=_counts(b.total.imported),
        total=_counts(b.total.total),
    )


def case_out(episode: CaseEpisode, resident: Resident) -> CaseOut:
    """The API shape of a case."""
    return CaseOut(**_fields(episode), resident_name=f"{resident.name} {resident.name_latin}")


def case_detail_out(episode: CaseEpisode, resident: Resident) -> CaseDetailOut:
    """The API shape of a case with its history."""
    return CaseDetailOut(**_fields(episode),
                         resident_name=f"{resident.name} {resident.name_latin}",
                         events=[CaseEventOut.model_validate(e) for e in episode.events])


def _fields(e: CaseEpisode) -> dict[str, object]:
    names = [n for n in CaseOut.model_fields if n != "resident_name"]
    return {n: getattr(e, n) for n in names}
