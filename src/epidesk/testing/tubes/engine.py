"""Reading the tubes of a lab batch: outcomes under the preset, collection times, and
the columns the tubes and samples are written with. No session, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from epidesk.kit.bulk import Categorical, CharMatrix, Column, Nullable
from epidesk.policy.schemas import Positivity
from epidesk.testing import rules
from epidesk.testing.engine import OUTCOME_CODES, ParsedBatch, TimeArray, combined


def read_outcomes(batch: ParsedBatch, positivity: Positivity) -> NDArray[np.int8]:
    """Each tube's outcome under the preset: invalid stays invalid, else the Ct rule."""
    first = batch.first_row
    reported = batch.outcome[first]
    if batch.genes:
        hits = [batch.ct[g][first] < positivity.threshold(g) for g in batch.genes]
        positive = (np.logical_and.reduce(hits) if positivity.require == "all"
                    else np.logical_or.reduce(hits))
    else:
        positive = np.zeros(len(first), dtype=bool)
    out = np.where(positive, OUTCOME_CODES[rules.POSITIVE], OUTCOME_CODES[rules.NEGATIVE])
    out = np.where(reported == OUTCOME_CODES[rules.INVALID], OUTCOME_CODES[rules.INVALID], out)
    return out.astype(np.int8)


def tube_collected_at(batch: ParsedBatch) -> TimeArray:
    """Each tube's collection time: its first swab."""
    times = batch.collected_at.view(np.int64)
    if batch.contiguous:
        return np.minimum.reduceat(times, batch.first_row).view("datetime64[us]")
    earliest = np.full(batch.tubes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, batch.tube_of_row, times)
    return earliest.view("datetime64[us]")


def char_matrix(values: pa.Array) -> CharMatrix:
    """A text column as a byte matrix for bulk writing, without a loop over rows."""
    array = values.cast(pa.large_string()) if pa.types.is_string(values.type) else values
    array = combined(array)
    n = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + n + 1]
    data = (np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None
            else np.zeros(0, dtype=np.uint8))
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    start = int(offsets[0]) if n else 0
    if n and (lengths == width).all():
        chars = data[start: start + n * width].reshape(n, width)
        return CharMatrix(chars)
    chars = np.zeros((n, width), dtype=np.uint8)
    if len(data):
        last = len(data) - 1
        for j in range(width):
            take = lengths > j
            chars[take, j] = data[np.minimum(offsets[:-1][take] + j, last)]
    return CharMatrix(chars, lengths)


def categorical(vocabulary: Sequence[str], codes: NDArray[np.integer[Any]]) -> Categorical:
    """A bulk text column from a vocabulary and codes."""
    return Categorical(tuple(vocabulary), codes)


def tube_columns(batch: ParsedBatch, tube_ids: NDArray[np.int64], batch_id: int,
                 outcome: NDArray[np.int8]) -> dict[str, Column]:
    """The columns a batch's tubes are written with (one row per tube, by tube number),
    `outcome` being each tube's outcome under the preset (`read_outcomes`)."""
    first = batch.first_row
    columns: dict[str, Column] = {
        "id": tube_ids,
        "code": char_matrix(batch.tube_codes),
        "batch_id": np.full(batch.tubes, batch_id, dtype=np.int64),
        "kind": Categorical(rules.TUBE_KINDS, batch.kind[first]),
        "pool_size": batch.pool_size[first],
        "lab": Categorical(batch.lab_vocabulary, batch.lab[first]),
        "collection_site": Categorical(batch.site_vocabulary, batch.site[first]),
        "collected_at": tube_collected_at(batch),
        "result_at": batch.result_at[first],
        "reported_outcome": Categorical(rules.OUTCOMES, batch.outcome[first]),
        "outcome": Categorical(rules.OUTCOMES, outcome),
    }
    for gene in batch.genes:
        values = batch.ct[gene][first]
        columns[f"ct_{gene}"] = Nullable(values, np.isnan(values))
    return columns
