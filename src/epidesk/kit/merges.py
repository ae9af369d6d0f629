"""Two records of one person made one: every domain re-points its rows through one
registration point.

A domain that keeps rows naming a resident offers, in its deps.py, `person_merge`: a
`MergePart` that names every column it re-points ("table.column") and the function that
moves the merged record's rows to the survivor, settles conflicts by the domain's own
rule and says what it did, one line each. The people domain's merge runs every part,
lowest domain first, inside one savepoint: an error in any part changes nothing.

`uncovered(metadata)` lists the columns naming a resident that no part re-points: a
foreign key to `resident.id`, or a column called `resident_id` or `*_resident_id`
(the bulk tables carry no foreign keys). A test keeps it empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import MetaData, update
from sqlalchemy.orm import Session

from epidesk.kit.domains import offered

PERSON_TABLE = "resident"


@dataclass(frozen=True)
class Merge:
    """One merge: the record that stays, the one that goes, when and by whom."""

    survivor_id: int
    merged_id: int
    day: date  # the city's local day of the merge
    actor: str


@dataclass(frozen=True)
class MergePart:
    """What a domain's deps.py offers as `person_merge`."""

    # Every column the part re-points, as "table.column".
    covers: tuple[str, ...]
    # Moves the merged record's rows to the survivor; returns what it did, one line
    # each ("2 samples moved", "contact: kept the close contact, dropped the sub-close").
    apply: Callable[[Session, Merge], list[str]]


def merge_parts() -> list[MergePart]:
    """Every domain's merge part, lowest domain first."""
    return list(offered("deps", "person_merge"))


def run_merge(session: Session, merge: Merge) -> list[str]:
    """Re-point every domain's rows from the merged record to the survivor, in one
    savepoint; returns what each part did."""
    notes: list[str] = []
    with session.begin_nested():
        for part in merge_parts():
            notes.extend(part.apply(session, merge))
        session.flush()
    return notes


def repoint(session: Session, model: Any, column: str, merge: Merge) -> int:
    """Move one table's rows (a mapped class's) from the merged record to the survivor;
    returns how many moved."""
    result = session.execute(update(model).where(getattr(model, column) == merge.merged_id)
                             .values({column: merge.survivor_id})
                             .execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


Ids = NDArray[np.int64]


def follow_merges(resident_id: Ids, merged: Ids, survivors: Ids) -> Ids:
    """Resident ids (of a lab batch, a visit log) with each record merged into another
    replaced by the survivor's (`merged` ascending, `survivors` in the same order)."""
    if not len(merged):
        return resident_id
    at = np.clip(np.searchsorted(merged, resident_id), 0, len(merged) - 1)
    hit = merged[at] == resident_id
    return np.where(hit, survivors[at], resident_id)


def person_columns(metadata: MetaData) -> set[str]:
    """Every column ("table.column") that names a resident."""
    found = set()
    for table in metadata.tables.values():
        for column in table.columns:
            refers = any(fk.target_fullname == f"{PERSON_TABLE}.id"
                         for fk in column.foreign_keys)
            named = column.name == "resident_id" or column.name.endswith("_resident_id")
            if refers or named:
                found.add(f"{table.name}.{column.name}")
    return found


def uncovered(metadata: MetaData) -> list[str]:
    """The columns naming a resident that no domain's merge part re-points."""
    covered = {c for part in merge_parts() for c in part.covers}
    return sorted(person_columns(metadata) - covered)
