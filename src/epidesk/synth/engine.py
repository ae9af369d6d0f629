"""Array mechanics shared by the synthetic city and the outbreak scenario.

Everything here is vectorised over all rows: positions within groups, runs of sorted
keys, stable sort orders, digits, row ids and small text columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.bulk import Categorical, Column

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
ByteMatrix: TypeAlias = NDArray[np.uint8]
TableColumns: TypeAlias = dict[str, Column]
Step: TypeAlias = Callable[[str], None]


def positions_within(counts: NDArray[Any]) -> IntArray:
    """0, 1, 2 ... inside each of consecutive groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    within: IntArray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return within


def group_starts(counts: NDArray[Any]) -> IntArray:
    """Offset of the first element of each of consecutive groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    starts: IntArray = np.cumsum(counts) - counts
    return starts


def sort_order(key: NDArray[Any]) -> IntArray:
    """The stable sorting permutation of non-negative integer keys (ties by position).

    The position is packed into the low bits of each key so that a plain sort, much
    faster than an indirect one, yields the permutation.
    """
    key = np.asarray(key, dtype=np.int64)
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bits = max(1, int(n - 1).bit_length())
    if key.min() < 0 or int(key.max()) >= 1 << (63 - bits):
        return np.argsort(key, kind="stable")
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    order: IntArray = packed & ((1 << bits) - 1)
    return order


def random_bits(rng: np.random.Generator, n: int, bits: int = 20) -> IntArray:
    """Random non-negative integers of `bits` bits, for tie-breaking in sort keys."""
    return rng.integers(0, 1 << bits, n, dtype=np.int64)


def runs_of(sorted_keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct values of sorted keys with the start and length of each run."""
    n = len(sorted_keys)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, n))
    return sorted_keys[starts], starts, counts


# ASCII of 0000 ... 9999, four bytes each, gathered as one 32-bit word per number.
_FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(),
                             dtype=np.uint32)


def digit_chars(values: NDArray[Any], width: int) -> ByteMatrix:
    """Zero-padded ASCII digits of non-negative integers, `width` characters each."""
    rest = np.asarray(values, dtype=np.int64)
    if len(rest) and int(rest.max()) < 2**32:
        rest = rest.astype(np.uint32)  # 32-bit division is much cheaper
    out = np.empty((len(rest), width), dtype=np.uint8)
    end = width
    while end > 0:
        take = min(4, end)
        rest, block = np.divmod(rest, 10_000)
        chars = _FOUR_DIGITS[block].view(np.uint8).reshape(-1, 4)
        out[:, end - take : end] = chars[:, 4 - take :]
        end -= take
    return out


def row_ids(n: int) -> NDArray[np.int32]:
    """Database ids 1..n."""
    return np.arange(1, n + 1, dtype=np.int32)


def ids_of(index: NDArray[Any]) -> NDArray[np.int32]:
    """Database ids (1-based) from 0-based row positions."""
    return (np.asarray(index) + 1).astype(np.int32)


def number_texts(values: NDArray[Any]) -> Categorical:
    """Whole numbers as text."""
    values = np.asarray(values, dtype=np.int64)
    top = int(values.max()) if len(values) else 0
    return Categorical(tuple(str(i) for i in range(top + 1)), values)


def constant_text(text: str, rows: int) -> Categorical:
    """The same text on every row."""
    return Categorical.constant(text, rows)
