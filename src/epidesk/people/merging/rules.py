"""Pure rules of duplicates and merges: the reasons two records look like one person,
pairs from groups, and how two household stays of one person are settled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from itertools import combinations
from typing import Any

from epidesk.kit import i18n
from epidesk.kit.i18n import _, _l

# A merge cannot be undone by a click: the reason is written out, not a word.
MIN_REASON_LENGTH = 10
MAX_REASON_LENGTH = 2000
# A group this large is a data problem (a shared phone of a dormitory), not one person
# recorded many times: its first members are listed, the rest left for a fix at source.
MAX_GROUP = 20


class DuplicateReason(StrEnum):
    """Why two records look like one person."""

    SAME_ID_NUMBER = "same_id_number"
    SAME_NAME_BIRTH_ADDRESS = "same_name_birth_date_address"
    SAME_NAME_BIRTH_PHONE = "same_name_birth_date_phone"

    @property
    def label(self) -> str:
        """The reason as staff read it."""
        return str(REASON_LABELS[self])


REASON_LABELS: Mapping[DuplicateReason, Any] = {
    DuplicateReason.SAME_ID_NUMBER: _l("same identity document number"),
    DuplicateReason.SAME_NAME_BIRTH_ADDRESS: _l("same name, birth date and address"),
    DuplicateReason.SAME_NAME_BIRTH_PHONE: _l("same name, birth date and phone"),
}
i18n.register_labels("duplicate_reason",
                     {str(reason.value): text for reason, text in REASON_LABELS.items()})


def pairs_of(groups: Iterable[tuple[DuplicateReason, Sequence[int]]]
             ) -> dict[tuple[int, int], list[DuplicateReason]]:
    """Every pair (lower id first) of each group, with all the reasons that pair them."""
    found: dict[tuple[int, int], list[DuplicateReason]] = {}
    for reason, members in groups:
        for a, b in combinations(sorted(set(members))[:MAX_GROUP], 2):
            reasons = found.setdefault((a, b), [])
            if reason not in reasons:
                reasons.append(reason)
    for reasons in found.values():
        reasons.sort(key=list(DuplicateReason).index)
    return found


def reason_problem(reason: str) -> str | None:
    """What is wrong with a merge's written reason, or None."""
    text = reason.strip()
    if len(text) < MIN_REASON_LENGTH:
        return _("write why these records are one person (at least %(min)d characters)",
                 min=MIN_REASON_LENGTH)
    if len(text) > MAX_REASON_LENGTH:
        return _("the reason is longer than %(max)d characters", max=MAX_REASON_LENGTH)
    return None


def closing_day(start: date, merge_day: date) -> date:
    """The last day of the merged record's open household stay when the survivor lives
    elsewhere: the day before the merge, or the stay's first day if it began since."""
    return max(start, merge_day - timedelta(days=1))
