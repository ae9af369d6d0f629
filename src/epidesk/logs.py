"""Logging that never writes personal data: query strings, bodies and SQL values stay out.

Every record passes the same scrubber: its message, its arguments, and the traceback
of an exception logged with it (SQL errors print the values of the failing statement,
which are names, addresses and ID numbers).
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Query strings carry names, phone and ID numbers typed into search boxes. A query
# string follows a path ("/people?q=..."); a lone "?" (an SQL placeholder) is kept.
_QUERY = re.compile(r"(?<=[\w/.~-])\?[^\s\"'<>]+")
# Long digit runs look like phone or ID numbers wherever they appear in a message.
_DIGITS = re.compile(r"(?<![\d.])\d{7,}[\dXx]?(?![\d.])")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# The values SQLAlchemy prints under a failed statement, and PostgreSQL's details.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
_KEY_VALUE = re.compile(r"(Key \([^)\n]*\)=\().*?(\) (?:already exists|is not present|"
                        r"conflicts with))")
_FAILING_ROW = re.compile(r"(Failing row contains \().*(\))", re.MULTILINE)
_TRACEBACKS = logging.Formatter()


def scrub(text: str) -> str:
    """Remove query strings, SQL values, e-mail addresses and phone/ID-like numbers."""
    text = _SQL_PARAMETERS.sub("[parameters removed]", text)
    text = _KEY_VALUE.sub(r"\1[value removed]\2", text)
    text = _FAILING_ROW.sub(r"\1[row removed]\2", text)
    text = _QUERY.sub("?[query removed]", text)
    text = _EMAIL.sub("[e-mail]", text)
    return _DIGITS.sub("[number]", text)


def _scrub_arg(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, BaseException):
        return scrub(str(value))
    return value


class PersonalDataFilter(logging.Filter):
    """A logging filter that scrubs every record's message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        elif isinstance(record.msg, BaseException):
            record.msg = scrub(str(record.msg))
        if record.args:
            args: Any = record.args
            if isinstance(args, tuple):
                record.args = tuple(_scrub_arg(a) for a in args)
            elif isinstance(args, dict):
                record.args = {k: _scrub_arg(v) for k, v in args.items()}
        if record.exc_info and record.exc_info[0] is not None:
            # Format the traceback once, scrubbed; every formatter prints exc_text as is.
            record.exc_text = scrub(_TRACEBACKS.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "epidesk", "sqlalchemy", "alembic")


def install() -> None:
    """Attach the filter to the handlers of every logger the platform writes through."""
    flt = PersonalDataFilter()
    for name in ("", *LOGGERS):
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(flt)
        for handler in logger.handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(flt)
