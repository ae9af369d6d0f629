"""Logging that never writes personal data: query strings and bodies stay out of logs."""

from __future__ import annotations

import logging
import re
from typing import Any

# Query strings carry names, phone and ID numbers typed into search boxes.
_QUERY = re.compile(r"\?[^\s\"']*")
# Long digit runs look like phone or ID numbers wherever they appear in a message.
_DIGITS = re.compile(r"(?<![\d.])\d{7,}[\dXx]?(?![\d.])")


def scrub(text: str) -> str:
    """Remove query strings and phone/ID-like numbers from a log text."""
    return _DIGITS.sub("[number]", _QUERY.sub("?[query removed]", text))


class PersonalDataFilter(logging.Filter):
    """A logging filter that scrubs every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if record.args:
            args: Any = record.args
            if isinstance(args, tuple):
                record.args = tuple(scrub(a) if isinstance(a, str) else a for a in args)
            elif isinstance(args, dict):
                record.args = {k: scrub(v) if isinstance(v, str) else v for k, v in args.items()}
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
