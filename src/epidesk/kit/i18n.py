"""Languages: Simplified Chinese and English from gettext catalogues.

The catalogues are the text files `epidesk/locale/<locale>/LC_MESSAGES/messages.po`,
read with Babel and compiled in memory the first time a language is used (no compiled
files in the repository). A request's language is the reader's explicit choice (the
cookie set by `GET /language?to=zh&next=/path`), else the browser's `Accept-Language`,
else Chinese; a document may be rendered in another language with `using(language)`.
Outside a request (the command line) the language is English.

Mark a string with `_("...")` (or `_l("...")` for a module constant, evaluated when
shown); in templates `{{ _("...") }}` or `{% trans %}...{% endtrans %}`. `make messages`
re-extracts the strings and updates the catalogues.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from io import BytesIO
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, Translations

CHINESE = "zh"
ENGLISH = "en"
LANGUAGES = (CHINESE, ENGLISH)
DEFAULT = CHINESE
COOKIE = "epidesk_lang"
# The catalogue folder of each language, and how <html lang> names it.
CATALOGUES = {CHINESE: "zh_Hans", ENGLISH: "en"}
HTML_LANG = {CHINESE: "zh-Hans", ENGLISH: "en"}
# Each language named in itself, for the switch.
NAMES = {CHINESE: "中文", ENGLISH: "English"}

_current: ContextVar[str] = ContextVar("epidesk_language", default=ENGLISH)


def catalogue_path(language: str) -> Any:
    """The `.po` file of a language."""
    return files("epidesk") / "locale" / CATALOGUES[language] / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """A language's catalogue, compiled in memory (fuzzy entries are left out)."""
    with catalogue_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=CATALOGUES[language])
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def set_current(language: str) -> None:
    """Set the language of what runs next in this context (a request, a job)."""
    _current.set(language)


def current() -> str:
    """The language of what is being produced now."""
    return _current.get()


def known(language: str | None) -> str | None:
    """A language code if it is one of ours ("zh", "en", also "zh-CN", "en_GB"), else None."""
    if not language:
        return None
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


@contextmanager
def using(language: str) -> Iterator[None]:
    """Produce text in a language for the duration of the block."""
    token = _current.set(known(language) or DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    """A message in the current language, with %(name)s placeholders filled."""
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form of a message for n, with %(num)d and the variables."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str) -> LazyProxy:
    """A message translated each time it is shown (for module constants)."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext
_l = lazy_gettext


def accepted(header: str | None) -> str | None:
    """The first of our languages in an Accept-Language header, by preference."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = known(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(choice: str | None, accept_language: str | None) -> str:
    """The reader's explicit choice, else the browser's preference, else Chinese."""
    return known(choice) or accepted(accept_language) or DEFAULT


def locale() -> Locale:
    """Babel's locale of the current language."""
    return Locale.parse(CATALOGUES[current()])


def format_day(day: date | datetime | None, style: str = "long") -> str:
    """A day as the reader's language writes it (2022年5月3日, May 3, 2022)."""
    return "" if day is None else format_date(day, format=style, locale=locale())


def format_number(number: Any) -> Any:
    """A count with the reader's grouping; anything else unchanged."""
    if isinstance(number, int) and not isinstance(number, bool):
        return format_decimal(number, locale=locale())
    return number


# ------------------------------------------------------------------ labels of keys

_LABELS: dict[str, Mapping[str, Any]] = {}


def register_labels(group: str, labels: Mapping[str, Any]) -> Mapping[str, Any]:
    """Name the keys of one kind (settings, tiers, roles...) in words; returns the labels.
    Pages show a key with `{{ key | label("group") }}`."""
    _LABELS[group] = labels
    return labels


def label(key: Any, group: str | None = None) -> str:
    """A key (`work_group`, `sub_close`) in words in the current language; an unknown key
    with its underscores as spaces, never as a key."""
    if key is None:
        return ""
    text = str(key)
    groups = [_LABELS.get(group, {})] if group else list(_LABELS.values())
    for labels in groups:
        if text in labels:
            return str(labels[text])
    return text.replace("_", " ")
