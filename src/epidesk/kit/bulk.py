"""Bulk writing of numpy columns: binary COPY on PostgreSQL, batched executemany on SQLite.

Columns are plain numpy arrays (integers, floats, booleans, datetime64 dates and
timestamps) or one of the text forms below, so that millions of rows never become
Python objects on the PostgreSQL path:

- `Categorical`: codes into a small vocabulary (sex, kinds, name parts);
- `CharMatrix`: a (rows, width) matrix of UTF-8 bytes with optional per-row lengths
  (identity numbers, phone numbers, polygons);
- `Joined`: row-by-row concatenation of other text columns (full names).

`Nullable` adds a NULL mask to a numeric, boolean or date column.

The binary COPY stream is built without a per-row loop: every field of a chunk of
rows is laid out as a padded (rows, width) byte matrix next to the others, and one
boolean mask over that matrix drops the padding, which leaves exactly the rows of
the PGCOPY format (int16 field count, then per field an int32 length, -1 for NULL,
and the big-endian value).

`copy_rows` writes one table; `load_tables` writes several in foreign-key order in one
transaction: on PostgreSQL it drops their keys, indexes and foreign keys, encodes in a
background thread while copying, and rebuilds each key, index and foreign key as soon
as the tables it needs are loaded.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

Progress: TypeAlias = Callable[[str, int, int], None]

PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# Days and microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
PG_EPOCH_DAYS = 10_957
PG_EPOCH_MICROSECONDS = PG_EPOCH_DAYS * 86_400 * 1_000_000
# Bytes of the padded row matrix built per chunk (its mask and the packed rows take
# about as much again each).
CHUNK_BYTES = 64 * 2**20
SQLITE_BATCH_ROWS = 50_000
# Encoded chunks a background encoder may hold ready ahead of the COPY.
PIPELINE_CHUNKS = 6

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


# ------------------------------------------------------------------ column kinds


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


def column_kind(type_: sa.types.TypeEngine[Any]) -> str:
    """The binary wire kind ("int4", "text", ...) of a SQLAlchemy column type."""
    if isinstance(type_, sa.SmallInteger):
        return "int2"
    if isinstance(type_, sa.BigInteger):
        return "int8"
    if isinstance(type_, sa.Integer):
        return "int4"
    if isinstance(type_, sa.Float):
        precision = getattr(type_, "precision", None)
        return "float4" if precision is not None and precision <= 24 else "float8"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.DateTime):
        return "timestamp"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.String):
        return "text"
    raise TypeError(f"bulk writing does not support columns of type {type_!r}")


def _rows(column: Column) -> int:
    return len(column)


def _slice(column: Column, start: int, stop: int) -> Column:
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
            tuple(_slice(p, start, stop) for p in column.parts),  # type: ignore[misc]
            None if column.null is None else column.null[start:stop],
        )
    if isinstance(column, Nullable):
        return Nullable(column.values[start:stop], column.null[start:stop])
    return column[start:stop]


# ------------------------------------------------------------------ binary COPY encoder


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


def _text_null(column: TextColumn) -> BoolArray | None:
    """Rows that are NULL, or None when no row is."""
    if isinstance(column, Categorical):
        codes = np.asarray(column.codes)
        null = codes < 0
        return null if null.any() else None
    masks = [column.null]
    if isinstance(column, Joined):
        masks += [_text_null(p) for p in column.parts]
    found = [m for m in masks if m is not None]
    if not found:
        return None
    out = np.logical_or.reduce(found) if len(found) > 1 else np.asarray(found[0], dtype=bool)
    return out if out.any() else None


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
        null = _text_null(column)
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
    rows = _check_lengths(columns)
    fields = [(c, _KINDS[k]) for c, k in zip(columns, kinds, strict=True)]
    if chunk_rows is None:
        chunk_rows = max(1024, CHUNK_BYTES // _row_width(fields))
    scratch: dict[str, NDArray[Any]] = {}
    for start in range(0, rows, chunk_rows):
        stop = min(rows, start + chunk_rows)
        sliced = [(_slice(c, start, stop), k) for c, k in fields]
        yield _encode_rows(sliced, stop - start, scratch).data, stop - start


def _check_lengths(columns: Sequence[Column]) -> int:
    lengths = {_rows(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"columns have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


# ------------------------------------------------------------------ Python values (SQLite)


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
    return _text_values(column).tolist()  # type: ignore[no-any-return]


def _text_values(column: TextColumn) -> NDArray[np.object_]:
    out = _text_strings(column)
    null = _text_null(column)
    if null is not None:
        out = out.copy()
        out[null] = None
    return out


def _python_values(column: Column, kind: str) -> list[Any]:
    """The values of a column as Python objects in the form SQLAlchemy stores in SQLite."""
    if kind == "text":
        if not isinstance(column, Categorical | CharMatrix | Joined):
            raise TypeError("a text column must be Categorical, CharMatrix or Joined")
        return _text_values(column).tolist()  # type: ignore[no-any-return]
    if isinstance(column, Categorical | CharMatrix | Joined):
        raise TypeError(f"a {kind} column cannot hold text")
    null = None
    values = np.asarray(column.values if isinstance(column, Nullable) else column)
    if isinstance(column, Nullable):
        null = np.asarray(column.null, dtype=bool)
    out: NDArray[Any]
    if kind == "date":
        out = values.astype("datetime64[D]").astype(str).astype(object)
    elif kind == "timestamp":
        text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
        out = np.char.replace(text, "T", " ").astype(object)
    elif kind == "bool":
        out = values.astype(bool).astype(np.int64)
    elif kind in ("float4", "float8"):
        out = values.astype(np.float64)
    else:
        out = values.astype(np.int64)
    if null is not None and null.any():
        obj = out.astype(object)
        obj[null] = None
        return obj.tolist()  # type: ignore[no-any-return]
    return out.tolist()  # type: ignore[no-any-return]


# ------------------------------------------------------------------ writing


def _quote(session: Session, name: str) -> str:
    return str(session.get_bind().dialect.identifier_preparer.quote(name))


def _is_postgres(session: Session) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


@dataclass(frozen=True)
class CopyTarget:
    """The table rows go to, the columns written and their wire kinds."""

    table: sa.Table
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: int


def copy_target(table: sa.Table, columns: Mapping[str, Column]) -> CopyTarget:
    """Check columns against table (names, NOT NULL columns, lengths) and name their kinds."""
    missing = [c.name for c in table.columns if c.name not in columns and not c.nullable
               and c.server_default is None]
    unknown = [name for name in columns if name not in table.columns]
    if missing or unknown:
        raise ValueError(f"{table.name}: missing columns {missing}, unknown columns {unknown}")
    names = tuple(columns)
    kinds = tuple(column_kind(table.columns[name].type) for name in names)
    return CopyTarget(table, names, kinds, _check_lengths(list(columns.values())))


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

    columns = ", ".join(_quote(session, n) for n in target.names)
    options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
    sql = f"COPY {_quote(session, target.table.name)} ({columns}) FROM STDIN ({options})"
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


def copy_rows(
    session: Session,
    table: sa.Table,
    columns: Mapping[str, Column],
    *,
    progress: Progress | None = None,
) -> int:
    """Write rows given as columns into table inside the session's transaction."""
    target = copy_target(table, columns)
    if target.rows == 0:
        return 0
    if _is_postgres(session):
        return write_copy_chunks(session, target, encode_chunks(target, columns),
                                 progress=progress)
    _insert_batches(session, target, columns, progress)
    return target.rows


def _insert_batches(
    session: Session,
    target: CopyTarget,
    columns: Mapping[str, Column],
    progress: Progress | None,
) -> None:
    names = ", ".join(_quote(session, n) for n in target.names)
    marks = ", ".join("?" for _ in target.names)
    sql = f"INSERT INTO {_quote(session, target.table.name)} ({names}) VALUES ({marks})"
    connection = session.connection()
    rows = target.rows
    for start in range(0, rows, SQLITE_BATCH_ROWS):
        stop = min(rows, start + SQLITE_BATCH_ROWS)
        values = [
            _python_values(_slice(columns[n], start, stop), k)
            for n, k in zip(target.names, target.kinds, strict=True)
        ]
        connection.exec_driver_sql(sql, list(zip(*values, strict=True)))
        if progress is not None:
            progress(target.table.name, stop, rows)


def tune_session_for_bulk_load(session: Session) -> list[str]:
    """On PostgreSQL, settings for the rest of the transaction that speed a bulk load up.

    Full-page images of rebuilt indexes are not compressed (compression costs more CPU
    than the WAL it saves during a load) when the role may change that setting, and
    the big validation queries of foreign keys are not JIT-compiled.
    """
    if not _is_postgres(session):
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


# ------------------------------------------------------------------ keys and indexes


@dataclass
class SuspendedConstraints:
    """Keys, constraints and indexes dropped for a bulk load, to be restored after it.

    Keys and indexes are (table, name, SQL); foreign keys also name the table they
    reference. A table's keys and indexes can be restored as soon as it is loaded, a
    foreign key as soon as both its tables are.
    """

    keys: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str, str]] = field(default_factory=list)
    foreign_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    done: int = 0
    total: int = 0

    @property
    def statements(self) -> list[tuple[str, str]]:
        """(name, SQL) of every restoring statement not yet run, in the order they run."""
        return [(e[1], e[2]) for e in [*self.keys, *self.indexes]] + [
            (e[2], e[3]) for e in self.foreign_keys]

    def _run(self, session: Session, statements: list[str], progress: Progress | None) -> None:
        connection = session.connection()
        for sql in statements:
            connection.exec_driver_sql(sql)
            self.done += 1
            if progress is not None:
                progress("indexes", self.done, self.total)

    def restore_table(self, session: Session, table: str, *,
                      progress: Progress | None = None) -> None:
        """Recreate the keys, unique constraints and indexes of one table."""
        mine = [e[2] for e in [*self.keys, *self.indexes] if e[0] == table]
        self.keys = [e for e in self.keys if e[0] != table]
        self.indexes = [e for e in self.indexes if e[0] != table]
        self._run(session, mine, progress)

    def restore_foreign_keys(self, session: Session, loaded: set[str], *,
                             progress: Progress | None = None) -> None:
        """Recreate (and so validate) the foreign keys between tables already loaded."""
        keyed = {e[0] for e in [*self.keys, *self.indexes]}
        ready = [e for e in self.foreign_keys
                 if {e[0], e[1]} <= loaded and not {e[0], e[1]} & keyed]
        self.foreign_keys = [e for e in self.foreign_keys if e not in ready]
        self._run(session, [e[3] for e in ready], progress)

    def restore(self, session: Session, *, progress: Progress | None = None) -> None:
        """Recreate every remaining key and index, then the foreign keys."""
        statements = [sql for _name, sql in self.statements]
        self.keys, self.indexes, self.foreign_keys = [], [], []
        self._run(session, statements, progress)


_CONSTRAINTS_SQL = """
SELECT con.conname, con.contype, rel.relname, pg_get_constraintdef(con.oid),
       (SELECT r.relname FROM pg_class r WHERE r.oid = con.confrelid)
FROM pg_constraint con
JOIN pg_class rel ON rel.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace
WHERE ns.nspname = current_schema()
  AND con.contype IN ('p', 'u', 'f')
  AND (rel.relname = ANY(%(tables)s)
       OR con.confrelid IN (SELECT c.oid FROM pg_class c
                            WHERE c.relname = ANY(%(tables)s)
                              AND c.relnamespace = ns.oid))
ORDER BY rel.relname, con.conname
"""

_INDEXES_SQL = """
SELECT idx.relname, pg_get_indexdef(i.indexrelid), rel.relname
FROM pg_index i
JOIN pg_class idx ON idx.oid = i.indexrelid
JOIN pg_class rel ON rel.oid = i.indrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace
WHERE ns.nspname = current_schema()
  AND rel.relname = ANY(%(tables)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
ORDER BY rel.relname, idx.relname
"""


def suspend_constraints(session: Session, tables: Sequence[sa.Table]) -> SuspendedConstraints:
    """On PostgreSQL, drop the keys, indexes and foreign keys of (and into) tables."""
    suspended = SuspendedConstraints()
    if not _is_postgres(session) or not tables:
        return suspended
    names = [t.name for t in tables]
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(_CONSTRAINTS_SQL, {"tables": names})
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES_SQL, {"tables": names})
        indexes = cursor.fetchall()
    drops: list[str] = []
    for name, contype, table, definition, referenced in constraints:
        q_table, q_name = _quote(session, table), _quote(session, name)
        restore = f"ALTER TABLE {q_table} ADD CONSTRAINT {q_name} {definition}"
        if contype == "f":
            suspended.foreign_keys.append((table, referenced, name, restore))
            drops.insert(0, f"ALTER TABLE {q_table} DROP CONSTRAINT {q_name}")
        else:
            suspended.keys.append((table, name, restore))
            drops.append(f"ALTER TABLE {q_table} DROP CONSTRAINT {q_name}")
    for name, definition, table in indexes:
        suspended.indexes.append((table, name, definition))
        drops.append(f"DROP INDEX {_quote(session, name)}")
    connection = session.connection()
    for sql in drops:
        connection.exec_driver_sql(sql)
    suspended.total = len(suspended.statements)
    return suspended


# ------------------------------------------------------------------ loading many tables


@dataclass
class LoadReport:
    """Rows written per table and where the time went.

    On PostgreSQL the source and the encoder run in a background thread while rows are
    copied and indexes rebuilt, so the phases overlap and add up to more than the wall
    time.
    """

    rows: dict[str, int] = field(default_factory=dict)
    source_seconds: float = 0.0
    encode_seconds: float = 0.0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0


TableSource: TypeAlias = Iterator[tuple[str, Mapping[str, Column]]]


def load_tables(
    session: Session,
    tables: Sequence[sa.Table],
    source: TableSource,
    *,
    progress: Progress | None = None,
) -> LoadReport:
    """Write the tables that source yields, in foreign-key order, in the session's transaction.

    On PostgreSQL the keys, indexes and foreign keys of `tables` are dropped first; the
    source runs and its rows are encoded in a background thread while this thread
    copies; each table's keys and indexes are rebuilt as soon as it is loaded and each
    foreign key as soon as both its tables are. `progress` may then be called from that
    thread too. On SQLite tables are written one after the other.
    """
    by_name = {t.name: t for t in tables}
    report = LoadReport()
    if not _is_postgres(session):
        for name, columns in _timed(source, report, "source_seconds"):
            started = time.perf_counter()
            report.rows[name] = copy_rows(session, _known(by_name, name), columns,
                                          progress=progress)
            report.copy_seconds += time.perf_counter() - started
        return report
    tune_session_for_bulk_load(session)
    suspended = suspend_constraints(session, tables)
    emptied = _truncate_empty(session, tables)
    pipeline = _Pipeline(source, by_name, report)
    loaded: set[str] = set()
    try:
        for target, chunks in pipeline.tables():
            started = time.perf_counter()
            report.rows[target.table.name] = write_copy_chunks(
                session, target, chunks, progress=progress,
                freeze=target.table.name in emptied)
            copied = time.perf_counter()
            loaded.add(target.table.name)
            suspended.restore_table(session, target.table.name, progress=progress)
            suspended.restore_foreign_keys(session, loaded, progress=progress)
            report.copy_seconds += copied - started
            report.index_seconds += time.perf_counter() - copied
        started = time.perf_counter()
        suspended.restore(session, progress=progress)
        _advance_id_sequences(session, [by_name[name] for name in sorted(loaded)])
        report.index_seconds += time.perf_counter() - started
    finally:
        pipeline.close()
    return report


def _advance_id_sequences(session: Session, tables: Sequence[sa.Table]) -> None:
    """Move each table's id sequence past its largest id, so later inserts get new ids.

    COPY writes ids as given and leaves the sequence alone (SQLite needs nothing: it
    takes the next id after the largest). Tables without an id sequence are skipped.
    """
    connection = session.connection()
    for table in tables:
        if "id" not in table.c:
            continue
        connection.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence(:name, 'id'), max(id)) "
                    f"FROM {_quote(session, table.name)} HAVING max(id) IS NOT NULL"),
            {"name": _quote(session, table.name)})


def _truncate_empty(session: Session, tables: Sequence[sa.Table]) -> set[str]:
    """TRUNCATE the tables that hold no row, so they can be loaded with COPY FREEZE.

    Only called once their foreign keys are suspended; tables that hold rows are left
    alone (and loaded without FREEZE).
    """
    connection = session.connection()
    empty = [t.name for t in tables if connection.execute(
        sa.select(sa.literal(1)).select_from(t).limit(1)).first() is None]
    if empty:
        connection.exec_driver_sql(
            "TRUNCATE " + ", ".join(_quote(session, name) for name in empty))
    return set(empty)


def _known(by_name: Mapping[str, sa.Table], name: str) -> sa.Table:
    table = by_name.get(name)
    if table is None:
        raise ValueError(f"the source yielded rows for {name!r}, which is not being loaded")
    return table


def _timed(items: Iterator[Any], report: LoadReport, attribute: str) -> Iterator[Any]:
    """The items of an iterator, the time spent producing them added to report.attribute."""
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            setattr(report, attribute, getattr(report, attribute) + time.perf_counter() - started)
            return
        setattr(report, attribute, getattr(report, attribute) + time.perf_counter() - started)
        yield item


class _Stopped(Exception):
    """The consumer has gone; the producing thread ends."""


class _Pipeline:
    """A thread that runs the source and encodes its tables into a bounded queue."""

    def __init__(self, source: TableSource, by_name: Mapping[str, sa.Table],
                 report: LoadReport) -> None:
        self._source = source
        self._by_name = by_name
        self._report = report
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=PIPELINE_CHUNKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="bulk-encode", daemon=True)
        self._thread.start()

    def _put(self, kind: str, value: Any) -> None:
        while not self._stop.is_set():
            try:
                self._items.put((kind, value), timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _produce(self) -> None:
        try:
            for name, columns in _timed(self._source, self._report, "source_seconds"):
                target = copy_target(_known(self._by_name, name), columns)
                self._put("table", target)
                for chunk in _timed(encode_chunks(target, columns), self._report,
                                    "encode_seconds"):
                    self._put("chunk", chunk)
                self._put("end", None)
                del columns, target
            self._put("done", None)
        except _Stopped:
            return
        except BaseException as exc:  # handed over to the consumer, which raises it
            try:
                self._put("error", exc)
            except _Stopped:
                return

    def _take(self) -> tuple[str, Any]:
        kind, value = self._items.get()
        if kind == "error":
            raise value
        return kind, value

    def _chunks(self) -> Iterator[tuple[memoryview, int]]:
        while True:
            kind, value = self._take()
            if kind == "end":
                return
            yield value

    def tables(self) -> Iterator[tuple[CopyTarget, Iterator[tuple[memoryview, int]]]]:
        """Each table in turn with the iterator of its encoded chunks (consume it first)."""
        while True:
            kind, value = self._take()
            if kind == "done":
                return
            yield value, self._chunks()

    def close(self) -> None:
        """Stop the thread (if still running) and wait for it."""
        self._stop.set()
        self._thread.join()
