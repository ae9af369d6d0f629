"""Column values for bulk writing: numpy arrays and the text forms that stay arrays.

Columns are plain numpy arrays (integers, floats, booleans, datetime64 dates and
timestamps) or one of the text forms below, so that millions of rows never become
Python objects on the PostgreSQL path:

- `Categorical`: codes into a small vocabulary (sex, kinds, name parts);
- `CharMatrix`: a (rows, width) matrix of UTF-8 bytes with optional per-row lengths
  (identity numbers, phone numbers, polygons);
- `Joined`: row-by-row concatenation of other text columns (full names).

`Nullable` adds a NULL mask to a numeric, boolean or date column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

Progress: TypeAlias = Callable[[str, int, int], None]

BoolArray: TypeAlias = NDArray[np.bool_]
IntArray: TypeAlias = NDArray[np.int64]
ByteMatrix: TypeAlias = NDArray[np.uint8]


@dataclass(frozen=True)
class Categorical:
    """A text column as codes into a vocabulary; code -1 is NULL."""

    vocabulary: Sequence[str]
    codes: NDArray[np.integer[Any]]

    @classmethod
    def of(cls, values: Sequence[str | None]) -> Categorical:
        """A categorical column from strings (None is NULL); for modest row counts."""
        index: dict[str, int] = {}
        codes = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            codes[i] = -1 if value is None else index.setdefault(value, len(index))
        return cls(tuple(index), codes)

    @classmethod
    def constant(cls, value: str, rows: int) -> Categorical:
        """The same text on every row."""
        return cls((value,), np.broadcast_to(np.int8(0), (rows,)))

    def __len__(self) -> int:
        return len(self.codes)


@dataclass(frozen=True)
class CharMatrix:
    """A text column as a (rows, width) matrix of UTF-8 bytes, `lengths[i]` of them used."""

    chars: NDArray[np.uint8]
    lengths: NDArray[np.integer[Any]] | None = None
    null: BoolArray | None = None

    def __len__(self) -> int:
        return int(self.chars.shape[0])


@dataclass(frozen=True)
class Joined:
    """A text column made by concatenating text columns row by row; NULL if any part is."""

    parts: tuple[TextColumn, ...]
    null: BoolArray | None = None

    def __len__(self) -> int:
        return len(self.parts[0])


@dataclass(frozen=True)
class Nullable:
    """A numeric, boolean, date or timestamp column with a NULL mask."""

    values: NDArray[Any]
    null: BoolArray

    def __len__(self) -> int:
        return len(self.values)


TextColumn: TypeAlias = Categorical | CharMatrix | Joined
Column: TypeAlias = NDArray[Any] | Categorical | CharMatrix | Joined | Nullable


def _rows(column: Column) -> int:
    return len(column)


def slice_rows(column: Column, start: int, stop: int) -> Column:
    """Rows start to stop of a column, in the same form."""
    if isinstance(column, Categorical):
        return Categorical(column.vocabulary, column.codes[start:stop])
    if isinstance(column, CharMatrix):
        return CharMatrix(
            column.chars[start:stop],
            None if column.lengths is None else column.lengths[start:stop],
            None if column.null is None else column.null[start:stop],
        )
    if isinstance(column, Joined):
        return Joined(
            tuple(slice_rows(p, start, stop) for p in column.parts),  # type: ignore[misc]
            None if column.null is None else column.null[start:stop],
        )
    if isinstance(column, Nullable):
        return Nullable(column.values[start:stop], column.null[start:stop])
    return column[start:stop]



def text_null(column: TextColumn) -> BoolArray | None:
    """Rows that are NULL, or None when no row is."""
    if isinstance(column, Categorical):
        codes = np.asarray(column.codes)
        null = codes < 0
        return null if null.any() else None
    masks = [column.null]
    if isinstance(column, Joined):
        masks += [text_null(p) for p in column.parts]
    found = [m for m in masks if m is not None]
    if not found:
        return None
    out = np.logical_or.reduce(found) if len(found) > 1 else np.asarray(found[0], dtype=bool)
    return out if out.any() else None



def check_lengths(columns: Sequence[Column]) -> int:
    """The common row count of columns, or ValueError when they differ."""
    lengths = {_rows(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"columns have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0



def _text_strings(column: TextColumn) -> NDArray[np.object_]:
    """Python strings of a text column, with "" where a row is NULL."""
    if isinstance(column, Categorical):
        vocab = np.array([*column.vocabulary, ""], dtype=object)
        codes = np.asarray(column.codes, dtype=np.int64)
        strings: NDArray[np.object_] = vocab[np.where(codes < 0, len(vocab) - 1, codes)]
        return strings
    if isinstance(column, CharMatrix):
        chars = np.asarray(column.chars, dtype=np.uint8)
        if chars.shape[1] == 0:
            return np.full(chars.shape[0], "", dtype=object)
        if column.lengths is not None:
            chars = np.where(
                np.arange(chars.shape[1]) < np.asarray(column.lengths)[:, None], chars, 0
            ).astype(np.uint8)
        raw = np.ascontiguousarray(chars).view(f"S{chars.shape[1]}").reshape(-1)
        decoded: NDArray[np.object_] = np.char.decode(raw, "utf-8").astype(object)
        return decoded
    out = _text_strings(column.parts[0])
    for part in column.parts[1:]:
        out = out + _text_strings(part)
    return out


def text_values(column: TextColumn) -> list[str | None]:
    """The texts of a text column as Python strings, None for NULL."""
    return text_array(column).tolist()  # type: ignore[no-any-return]


def text_array(column: TextColumn) -> NDArray[np.object_]:
    """The texts of a text column as an object array, None for NULL."""
    out = _text_strings(column)
    null = text_null(column)
    if null is not None:
        out = out.copy()
        out[null] = None
    return out

