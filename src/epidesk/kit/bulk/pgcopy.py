"""PostgreSQL binary COPY: columns encoded to the PGCOPY format and streamed in.

The binary COPY stream is built without a per-row loop: every field of a chunk of
rows is laid out as a padded (rows, width) byte matrix next to the others, and one
boolean mask over that matrix drops the padding, which leaves exactly the rows of
the PGCOPY format (int16 field count, then per field an int32 length, -1 for NULL,
and the big-endian value).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.columns import (
    BoolArray,
    ByteMatrix,
    Categorical,
    CharMatrix,
    Column,
    IntArray,
    Joined,
    Nullable,
    Progress,
    TextColumn,
    check_lengths,
    slice_rows,
    text_null,
)
from epidesk.kit.bulk.tables import CopyTarget, quoted

PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# Days and microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
PG_EPOCH_DAYS = 10_957
PG_EPOCH_MICROSECONDS = PG_EPOCH_DAYS * 86_400 * 1_000_000
# Bytes of the padded row matrix built per chunk (its mask and the packed rows take
# about as much again each).
CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class _Kind:
    name: str
    size: int  # bytes of a binary value, 0 for text
    wire: str  # numpy dtype of the big-endian binary value


_KINDS = {
    "int2": _Kind("int2", 2, ">i2"),
    "int4": _Kind("int4", 4, ">i4"),
    "int8": _Kind("int8", 8, ">i8"),
    "float4": _Kind("float4", 4, ">f4"),
    "float8": _Kind("float8", 8, ">f8"),
    "bool": _Kind("bool", 1, "u1"),
    "date": _Kind("date", 4, ">i4"),
    "timestamp": _Kind("timestamp", 8, ">i8"),
    "text": _Kind("text", 0, ""),
}



@dataclass
class _Segment:
    """Bytes of one part of every row, `width` wide, of which `lengths` are used per row.

    The bytes are a constant (`const`), numbers written big-endian (`values` as `wire`),
    rows of a vocabulary matrix (`vocab` rows picked by `codes`) or a byte matrix.
    """

    width: int
    const: bytes | None = None
    values: NDArray[Any] | None = None
    wire: str = ""
    vocab: ByteMatrix | None = None
    codes: IntArray | None = None
    matrix: ByteMatrix | None = None
    lengths: NDArray[np.integer[Any]] | None = None  # None: the whole width

    def write(self, dest: ByteMatrix) -> None:
        """Write this segment's bytes of every row into dest (rows, width)."""
        if self.width == 0:
            return
        if self.values is not None:
            if self.wire == "u1":
                dest[:, 0] = self.values
            else:
                dest.view(self.wire)[:, 0] = self.values
        elif self.vocab is not None and self.codes is not None:
            np.take(self.vocab, self.codes, axis=0, out=dest, mode="clip")
        elif self.matrix is not None:
            dest[...] = self.matrix


@dataclass
class _Vocabulary:
    """A vocabulary as a padded byte matrix whose last row is the empty (NULL) entry."""

    matrix: ByteMatrix
    lengths: NDArray[np.int32]
    uniform: bool

    @classmethod
    def of(cls, words: Sequence[str]) -> _Vocabulary:
        """The padded UTF-8 matrix of words."""
        encoded = [w.encode("utf-8") for w in words]
        width = max((len(b) for b in encoded), default=0)
        matrix = np.zeros((len(encoded) + 1, width), dtype=np.uint8)
        lengths = np.zeros(len(encoded) + 1, dtype=np.int32)
        for i, b in enumerate(encoded):
            matrix[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
            lengths[i] = len(b)
        uniform = bool(len(encoded) > 0 and (lengths[:-1] == width).all())
        return cls(matrix, lengths, uniform)


_vocabulary_cache: dict[tuple[str, ...], _Vocabulary] = {}


def _vocabulary(words: Sequence[str]) -> _Vocabulary:
    key = tuple(words)
    found = _vocabulary_cache.get(key)
    if found is None:
        if len(_vocabulary_cache) > 256:
            _vocabulary_cache.clear()
        found = _vocabulary_cache[key] = _Vocabulary.of(key)
    return found



def _text_segments(column: TextColumn, null: BoolArray | None) -> list[_Segment]:
    """Data segments of a text column (no length header); NULL rows are empty."""
    if isinstance(column, Joined):
        segments: list[_Segment] = []
        for part in column.parts:
            segments += _text_segments(part, null)
        return segments
    if isinstance(column, Categorical):
        vocab = _vocabulary(column.vocabulary)
        empty = len(vocab.lengths) - 1
        codes = np.asarray(column.codes, dtype=np.int64)
        gone = codes < 0 if null is None else (null | (codes < 0))
        codes = np.where(gone, empty, codes)
        width = int(vocab.matrix.shape[1])
        if vocab.uniform and not gone.any():
            return [_Segment(width, vocab=vocab.matrix, codes=codes)]
        return [_Segment(width, vocab=vocab.matrix, codes=codes, lengths=vocab.lengths[codes])]
    chars = np.asarray(column.chars, dtype=np.uint8)
    lengths = column.lengths
    if null is not None:
        base = (np.full(len(column), chars.shape[1], dtype=np.int64) if lengths is None
                else np.asarray(lengths, dtype=np.int64))
        lengths = np.where(null, 0, base)
    return [_Segment(int(chars.shape[1]), matrix=chars, lengths=lengths)]


def _text_lengths(segments: list[_Segment], rows: int) -> IntArray:
    total = np.zeros(rows, dtype=np.int64)
    for seg in segments:
        if seg.lengths is None:
            total += seg.width
        else:
            total += seg.lengths
    return total


def _wire_values(values: NDArray[Any], kind: _Kind) -> NDArray[Any]:
    """Values of a numeric, boolean, date or timestamp array as they go on the wire."""
    if kind.name == "date":
        return values.astype("datetime64[D]").astype(np.int64) - PG_EPOCH_DAYS
    if kind.name == "timestamp":
        return values.astype("datetime64[us]").astype(np.int64) - PG_EPOCH_MICROSECONDS
    return values


def _field_segments(column: Column, kind: _Kind, rows: int) -> list[_Segment]:
    """Length header and data segments of one field for every row."""
    if kind.name == "text":
        if not isinstance(column, Categorical | CharMatrix | Joined):
            raise TypeError("a text column must be Categorical, CharMatrix or Joined")
        null = text_null(column)
        data = _text_segments(column, null)
        lengths = _text_lengths(data, rows)
        if null is not None:
            lengths = np.where(null, -1, lengths)
        if all(seg.lengths is None for seg in data):
            header = _Segment(4, const=int(lengths[0]).to_bytes(4, "big", signed=True))
        else:
            header = _Segment(4, values=lengths, wire=">i4")
        return [header, *data]
    if isinstance(column, Categorical | CharMatrix | Joined):
        raise TypeError(f"a {kind.name} column cannot hold text")
    null = None
    values = column
    if isinstance(column, Nullable):
        values, null = column.values, np.asarray(column.null, dtype=bool)
        if not null.any():
            null = None
    wire = _wire_values(np.asarray(values), kind)
    if null is None:
        return [_Segment(4, const=kind.size.to_bytes(4, "big")),
                _Segment(kind.size, values=wire, wire=kind.wire)]
    if null.all():
        return [_Segment(4, const=(-1).to_bytes(4, "big", signed=True))]
    return [_Segment(4, values=np.where(null, -1, kind.size), wire=">i4"),
            _Segment(kind.size, values=wire, wire=kind.wire,
                     lengths=np.where(null, 0, kind.size))]


def _encode_rows(fields: Sequence[tuple[Column, _Kind]], rows: int,
                 scratch: dict[str, NDArray[Any]] | None = None) -> ByteMatrix:
    """The binary COPY rows for these (already sliced) columns, as one flat byte array.

    `scratch` keeps the padded matrix and its mask between the chunks of one table, so
    that their memory is not mapped afresh for every chunk.
    """
    segments = [_Segment(2, const=len(fields).to_bytes(2, "big"))]
    for column, kind in fields:
        segments += _field_segments(column, kind, rows)
    width = sum(seg.width for seg in segments)
    template = np.zeros(width, dtype=np.uint8)
    at = 0
    for seg in segments:
        if seg.const is not None:
            template[at : at + seg.width] = np.frombuffer(seg.const, dtype=np.uint8)
        at += seg.width
    variable = any(seg.lengths is not None for seg in segments)
    padded = _scratch(scratch, "padded", rows * width, np.uint8).reshape(rows, width)
    padded[:] = template
    mask = None
    if variable:
        mask = _scratch(scratch, "mask", rows * width, np.bool_).reshape(rows, width)
        mask[:] = True
    at = 0
    for seg in segments:
        w = seg.width
        seg.write(padded[:, at : at + w])
        if mask is not None and seg.lengths is not None:
            np.less(np.arange(w), np.asarray(seg.lengths)[:, None], out=mask[:, at : at + w])
        at += w
    return padded.reshape(-1).copy() if mask is None else padded[mask]


def _scratch(scratch: dict[str, NDArray[Any]] | None, name: str, size: int,
             dtype: type[np.generic]) -> NDArray[Any]:
    """A 1-D array of at least size elements, reused from scratch when big enough."""
    if scratch is None:
        return np.empty(size, dtype=dtype)
    found = scratch.get(name)
    if found is None or found.size < size:
        found = scratch[name] = np.empty(size, dtype=dtype)
    return found[:size]


def _row_width(fields: Sequence[tuple[Column, _Kind]]) -> int:
    """An upper bound of the padded width of a row, to size chunks."""
    width = 2
    for column, kind in fields:
        width += 4 + (kind.size or _text_width(column))
    return width


def _text_width(column: Column) -> int:
    if isinstance(column, Categorical):
        return int(_vocabulary(column.vocabulary).matrix.shape[1])
    if isinstance(column, CharMatrix):
        return int(column.chars.shape[1])
    if isinstance(column, Joined):
        return sum(_text_width(p) for p in column.parts)
    return 8


def encode_copy_binary(
    columns: Sequence[Column], kinds: Sequence[str], *, chunk_rows: int | None = None
) -> Iterator[memoryview]:
    """The PGCOPY binary stream of these columns (header, rows in chunks, trailer)."""
    yield memoryview(PGCOPY_HEADER)
    for buffer, _rows_in_chunk in _row_chunks(columns, kinds, chunk_rows):
        yield buffer
    yield memoryview(PGCOPY_TRAILER)


def _row_chunks(
    columns: Sequence[Column], kinds: Sequence[str], chunk_rows: int | None
) -> Iterator[tuple[memoryview, int]]:
    """Encoded rows in chunks, each with its row count."""
    if len(columns) != len(kinds):
        raise ValueError("one kind per column")
    rows = check_lengths(columns)
    fields = [(c, _KINDS[k]) for c, k in zip(columns, kinds, strict=True)]
    if chunk_rows is None:
        chunk_rows = max(1024, CHUNK_BYTES // _row_width(fields))
    scratch: dict[str, NDArray[Any]] = {}
    for start in range(0, rows, chunk_rows):
        stop = min(rows, start + chunk_rows)
        sliced = [(slice_rows(c, start, stop), k) for c, k in fields]
        yield _encode_rows(sliced, stop - start, scratch).data, stop - start



def encode_chunks(target: CopyTarget, columns: Mapping[str, Column]) -> Iterator[
        tuple[memoryview, int]]:
    """Binary COPY rows of the columns in chunks, each with its number of rows."""
    return _row_chunks([columns[n] for n in target.names], target.kinds, None)


def write_copy_chunks(
    session: Session,
    target: CopyTarget,
    chunks: Iterable[tuple[memoryview | bytes, int]],
    *,
    progress: Progress | None = None,
    freeze: bool = False,
) -> int:
    """Send encoded rows to PostgreSQL with one binary COPY; returns the rows written.

    `freeze` (for a table emptied by TRUNCATE in the same transaction) writes the rows
    frozen and all-visible, so that nothing has to rewrite them after the load.
    """
    import psycopg

    columns = ", ".join(quoted(session, n) for n in target.names)
    options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
    sql = f"COPY {quoted(session, target.table.name)} ({columns}) FROM STDIN ({options})"
    driver = session.connection().connection.driver_connection
    assert driver is not None
    done = 0
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(PGCOPY_HEADER)
            for buffer, count in chunks:
                copy.write(buffer)
                done += count
                if progress is not None:
                    progress(target.table.name, done, target.rows)
            copy.write(PGCOPY_TRAILER)
    except psycopg.Error as exc:
        # The same exception classes as every other statement run through SQLAlchemy.
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
    return done



def tune_session_for_bulk_load(session: Session) -> list[str]:
    """On PostgreSQL, settings for the rest of the transaction that speed a bulk load up.

    Full-page images of rebuilt indexes are not compressed (compression costs more CPU
    than the WAL it saves during a load) when the role may change that setting, and
    the big validation queries of foreign keys are not JIT-compiled.
    """
    if not is_postgres(session):
        return []
    connection = session.connection()
    changed = ["jit = off"]
    connection.exec_driver_sql("SET LOCAL jit = off")
    allowed = connection.exec_driver_sql(
        "SELECT has_parameter_privilege('wal_compression', 'SET')").scalar()
    if allowed:
        connection.exec_driver_sql("SET LOCAL wal_compression = off")
        changed.append("wal_compression = off")
    return changed
