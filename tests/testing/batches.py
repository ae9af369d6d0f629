"""Lab batch files for tests, written by hand (csv module) so the reader is tested on its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epidesk.policy.schemas import Preset
from epidesk.policy.service import load_preset
from epidesk.testing.ingest import early
from epidesk.testing.ingest import service as ingesting

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
COLLECTED = "2026-11-21T08:00:00+08:00"
RESULT = "2026-11-21T20:00:00+08:00"
LATER_COLLECTED = "2026-11-22T07:30:00+08:00"
LATER_RESULT = "2026-11-22T15:00:00+08:00"
COLUMNS = ("sample_id", "tube_id", "tube_type", "pool_size", "resident_id", "collected_at",
           "collection_site", "lab", "result_at", "outcome", "ct_orf1ab", "ct_n")


def preset(**positivity: Any) -> Preset:
    """The 9th-edition preset, with positivity fields replaced."""
    base = load_preset("cn-9th-2022")
    if not positivity:
        return base
    rule = base.cases.positivity.model_copy(update=positivity)
    return base.model_copy(update={"cases": base.cases.model_copy(update={"positivity": rule})})


def single(sample: str, resident: int, *, tube: str | None = None, outcome: str = "negative",
           ct: tuple[float | None, float | None] = (None, None), collected: str = COLLECTED,
           result: str = RESULT, **extra: Any) -> dict[str, Any]:
    """One single-tube line."""
    return {"sample_id": sample, "tube_id": tube or f"T{sample}", "tube_type": "single",
            "pool_size": 1, "resident_id": resident, "collected_at": collected,
            "collection_site": "Willow Court gate", "lab": "Tinyville Lab 1",
            "result_at": result, "outcome": outcome, "ct_orf1ab": ct[0], "ct_n": ct[1],
            **extra}


def pool(tube: str, residents: Sequence[int], *, size: int | None = None,
         outcome: str = "negative", ct: tuple[float | None, float | None] = (None, None),
         collected: str = COLLECTED, result: str = RESULT, prefix: str | None = None
         ) -> list[dict[str, Any]]:
    """The lines of one pooled tube."""
    return [{"sample_id": f"{prefix or tube}-{i}", "tube_id": tube, "tube_type": "pooled",
             "pool_size": size if size is not None else len(residents), "resident_id": r,
             "collected_at": collected, "collection_site": "Willow Court gate",
             "lab": "Tinyville Lab 1", "result_at": result, "outcome": outcome,
             "ct_orf1ab": ct[0], "ct_n": ct[1]} for i, r in enumerate(residents, 1)]


def csv_bytes(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """The lines as a CSV file (empty cells for None)."""
    rows = list(rows)
    names = list(columns or COLUMNS)
    for r in rows:
        for key in r:
            if key not in names:
                names.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow(["" if r.get(n) is None else r.get(n) for n in names])
    return out.getvalue().encode()


# Bytes a block of a CSV is read in by the tests of the early rows: three to four lines.
SMALL_BLOCK = 600


def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Have a CSV read a few lines a block, so that a few lines make several blocks."""
    monkeypatch.setattr(early, "MIN_BLOCK", SMALL_BLOCK)
    monkeypatch.setattr(early, "MAX_BLOCK", SMALL_BLOCK)
    monkeypatch.setattr(early, "FIRST_BLOCK", SMALL_BLOCK // 2)


def ingest_rows(session: Session, rows: list[dict[str, Any]], name: str
                ) -> ingesting.IngestResult:
    """Ingest the rows as a CSV lab batch named name, by a lab clerk, at NOW."""
    return ingesting.ingest_batch(session, content=csv_bytes(rows), filename=name,
                                  received_by="lab-clerk", now=NOW, preset=preset())
