"""The shapes of input every route and schema shares: record ids, counts, days and moments.

Each is bounded to what the database holds (ids are 32-bit integer columns on both
backends; days from 1900 to 2100) and written in ASCII: a whole number is the digits
0-9 (no superscript, circled or full-width digits), a day is YYYY-MM-DD (never a number
of seconds since 1970), a moment is an ISO 8601 time. A value outside these shapes fails pydantic's
validation, so the API answers 422 problem+json naming the field.

Query and path parameters wrap these with FastAPI's `Query()`/`Path()` (see `kit.web`);
JSON fields use them as they are. A blank value (an empty form field) reads as None for
the optional types.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

from annotated_types import Ge as Ge
from annotated_types import Le as Le
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from epidesk.errors import ValidationFailedError

# Record ids: positive and within a 32-bit INTEGER column (SQLite and PostgreSQL alike).
MAX_ID = 2**31 - 1
# Positions in a list (offsets).
MAX_OFFSET = 1_000_000
# Days and moments: birth dates, sampling days and report days all lie in this range.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)

# What no database text column can hold: NUL (PostgreSQL refuses it) and lone surrogates
# (not encodable as UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?"
    r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")


def ascii_whole(value: Any) -> Any:
    """An integer, or a string of the ASCII digits 0-9 (with a sign), as an int."""
    if isinstance(value, bool | float | bytes):
        raise PydanticCustomError("whole_number", "Input should be a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE.fullmatch(text):
            raise PydanticCustomError(
                "whole_number", "Input should be a whole number written with the digits 0-9")
        return int(text)
    return value


def ascii_day(value: Any) -> Any:
    """A date, or a string YYYY-MM-DD in ASCII digits; never a number."""
    if value is None:
        return value
    if isinstance(value, datetime):
        raise PydanticCustomError("day", "Input should be a day (YYYY-MM-DD), not a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError("day", "Input should be a day written YYYY-MM-DD with the "
                                     "digits 0-9")


def ascii_moment(value: Any) -> Any:
    """A datetime, or an ISO 8601 string in ASCII digits; never a number."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str) and _MOMENT.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError("moment", "Input should be a time written YYYY-MM-DDTHH:MM:SS "
                                        "(with its UTC offset) with the digits 0-9")


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "day_range", "Input should be a day from {first} to {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return value


def _moment_in_range(value: datetime) -> datetime:
    _day_in_range(value.date())
    return value


def _storable(value: str) -> str:
    if UNSTORABLE.search(value):
        raise PydanticCustomError("text", "Input should be text without NUL characters or "
                                          "unpaired surrogates")
    return value


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# Put after the bounds of any other whole number (a limit, a count of days):
# `Annotated[int, Ge(1), Le(500), DIGITS]`, so that the bounds stay in the OpenAPI schema.
DIGITS = BeforeValidator(ascii_whole)

RecordId = Annotated[int, Ge(1), Le(MAX_ID), DIGITS]
Offset = Annotated[int, Ge(0), Le(MAX_OFFSET), DIGITS]
Day = Annotated[date, BeforeValidator(ascii_day), AfterValidator(_day_in_range)]
Moment = Annotated[datetime, BeforeValidator(ascii_moment), AfterValidator(_moment_in_range)]
AwareMoment = Annotated[AwareDatetime, BeforeValidator(ascii_moment),
                        AfterValidator(_moment_in_range)]

# Text to be stored: any string a database text column can hold.
Text = Annotated[str, AfterValidator(_storable)]

# The same, optional: None when left out or blank (an empty form field).
OptionalId = Annotated[RecordId | None, BeforeValidator(_blank_is_none)]
OptionalDay = Annotated[Day | None, BeforeValidator(_blank_is_none)]
OptionalMoment = Annotated[Moment | None, BeforeValidator(_blank_is_none)]


def is_record_id(text: str) -> bool:
    """Whether a string is a record id written in ASCII digits (for raw path values)."""
    return bool(re.fullmatch(r"[0-9]{1,10}", text)) and 1 <= int(text) <= MAX_ID


def parse(kind: Any, text: str, field: str) -> Any:
    """A form's text read as one of the types above (e.g. `OptionalId`), or a 422 naming
    the field: for pages that show the error beside the form they re-render."""
    try:
        return _adapter(kind).validate_python(text)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"] if exc.errors() else "invalid"
        raise ValidationFailedError(f"{field}: {message} (got {text.strip()[:40]!r})",
                                    field=field) from exc


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)
