"""A record: a rule value of a preset with its provenance, and the vocabulary every table shares.

A preset file is TOML. Every table that carries `source` and `confirmed` is a *record*:
all the fields of that table (and of the tables nested in it) share its provenance.
`source` names a key of the preset's `[sources]` table, or "platform default" for a
value that no official text gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

PLATFORM_DEFAULT = "platform default"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RESERVED_NAMES = frozenset({"diff"})
PROVENANCE_FIELDS = ("source", "confirmed", "note")


def rule_error(at: str, message: str) -> PydanticCustomError:
    """A cross-field error whose `at` extends the location of the model that raises it."""
    return PydanticCustomError("preset_rule", "{message}", {"message": message, "at": at})


class Strict(BaseModel):
    """A table of a preset file: native TOML types only, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Record(Strict):
    """A rule value with its provenance; every field of the table shares it."""

    source: str = Field(min_length=1, description="Key of [sources], or 'platform default'")
    confirmed: bool = Field(description="False: still to be checked against the original text")
    note: str = ""



def iter_records(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[
    tuple[tuple[str | int, ...], Record]
]:
    """Every record below a value, with its location (section first)."""
    if isinstance(value, Record):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from iter_records(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_records(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_records(item, (*path, i))


def format_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """A location as written in messages: `quarantine.categories.x.stages[0].days`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
