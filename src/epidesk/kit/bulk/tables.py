"""The table rows go to: its columns, their wire kinds, its quoted name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.kit.bulk.columns import Column, check_lengths


def column_kind(type_: sa.types.TypeEngine[Any]) -> str:
    """The binary wire kind ("int4", "text", ...) of a SQLAlchemy column type."""
    if isinstance(type_, sa.TypeDecorator):
        type_ = type_.impl_instance
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



def quoted(session: Session, name: str) -> str:
    """A table or column name quoted for the session's SQL dialect."""
    return str(session.get_bind().dialect.identifier_preparer.quote(name))



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
    return CopyTarget(table, names, kinds, check_lengths(list(columns.values())))

