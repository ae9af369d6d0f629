"""Pure rules about people: ages, vulnerability flags and how a search query is read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from babel.support import LazyProxy

from epidesk.kit import i18n
from epidesk.kit.i18n import _, _l

# China's Law on the Protection of the Rights and Interests of the Elderly counts
# everyone aged 60 or over as elderly, and the national COVID-19 guidance gave that
# group priority; the platform follows the local definition rather than the 65 used
# in OECD statistics.
ELDERLY_AGE = 60
# Under three: the age band of infant and toddler care (婴幼儿) in Chinese health
# services; these children need formula, nappies and a carer with them in quarantine.
INFANT_AGE_BELOW = 3
# Children are reached through the adults of their household, so a missing
# smartphone only matters from this age on.
SMARTPHONE_EXPECTED_FROM_AGE = 18


class Flag(StrEnum):
    """A reason a resident or household needs priority or extra help."""

    LIVES_ALONE = "lives_alone"
    ELDERLY = "elderly"
    INFANT = "infant"
    PREGNANT = "pregnant"
    DISABILITY = "disability"
    CHRONIC_MEDICATION = "chronic_medication"
    NO_SMARTPHONE = "no_smartphone"

    @property
    def label(self) -> str:
        """The flag as staff read it."""
        return str(FLAG_LABELS[self])


FLAG_LABELS: Mapping[Flag, Any] = {
    Flag.LIVES_ALONE: _l("lives alone"),
    Flag.ELDERLY: LazyProxy(lambda: _("elderly (%(age)d+)", age=ELDERLY_AGE),
                            enable_cache=False),
    Flag.INFANT: LazyProxy(lambda: _("infant (under %(age)d)", age=INFANT_AGE_BELOW),
                           enable_cache=False),
    Flag.PREGNANT: _l("pregnant"),
    Flag.DISABILITY: _l("disability"),
    Flag.CHRONIC_MEDICATION: _l("chronic medication"),
    Flag.NO_SMARTPHONE: _l("no smartphone"),
}
i18n.register_labels("flag", {str(flag.value): text for flag, text in FLAG_LABELS.items()})

# The kinds of venues people visit, in words.
VENUE_KIND_LABELS = i18n.register_labels("venue_kind", {
    "restaurant": _l("restaurant"), "convenience_store": _l("convenience store"),
    "supermarket": _l("supermarket"), "market": _l("market"), "pharmacy": _l("pharmacy"),
    "clinic": _l("clinic"), "barbershop": _l("barbershop"), "gym": _l("gym"),
    "mahjong_parlour": _l("mahjong parlour"), "internet_cafe": _l("internet café"),
    "karaoke": _l("karaoke"), "bathhouse": _l("bathhouse"), "cinema": _l("cinema"),
    "bank": _l("bank"), "hotel": _l("hotel"), "church_or_temple": _l("temple"),
    "park": _l("park"), "square": _l("square"), "bus_station": _l("bus station"),
    "hospital": _l("hospital"),
})
i18n.register_labels("school_kind", {
    "kindergarten": _l("kindergarten"), "primary": _l("primary school"),
    "middle": _l("middle school"), "high": _l("high school"),
})
i18n.register_labels("workplace_kind", {
    "shop": _l("shop"), "restaurant": _l("restaurant"), "office": _l("office"),
    "services": _l("services"), "workshop": _l("workshop"), "factory": _l("factory"),
    "hospital": _l("hospital"), "logistics": _l("logistics"),
    "government": _l("government office"), "construction": _l("construction"),
    "school": _l("school"),
})
i18n.register_labels("school_role", {"pupil": _l("pupil"), "teacher": _l("teacher")})
i18n.register_labels("sex", {"F": _l("female"), "M": _l("male")})


@dataclass(frozen=True)
class PersonFacts:
    """What the flag rules need to know about one resident."""

    birth_date: date
    pregnant: bool
    disability: bool
    chronic_medication: bool
    has_smartphone: bool
    household_size: int


def age_on(birth_date: date, day: date) -> int:
    """Age in completed years on the given day (a 29 February birthday counts on 1 March)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return max(0, day.year - birth_date.year - int(before_birthday))


def vulnerability_flags(person: PersonFacts, *, today: date) -> tuple[Flag, ...]:
    """The resident's vulnerability flags on the given day, in the order of `Flag`."""
    age = age_on(person.birth_date, today)
    found = set()
    if person.household_size == 1:
        found.add(Flag.LIVES_ALONE)
    if age >= ELDERLY_AGE:
        found.add(Flag.ELDERLY)
    if age < INFANT_AGE_BELOW:
        found.add(Flag.INFANT)
    if person.pregnant:
        found.add(Flag.PREGNANT)
    if person.disability:
        found.add(Flag.DISABILITY)
    if person.chronic_medication:
        found.add(Flag.CHRONIC_MEDICATION)
    if not person.has_smartphone and age >= SMARTPHONE_EXPECTED_FROM_AGE:
        found.add(Flag.NO_SMARTPHONE)
    return tuple(flag for flag in Flag if flag in found)


def household_flags(members: Iterable[PersonFacts], *, today: date) -> tuple[Flag, ...]:
    """A household's flags: any member's needs; no smartphone only when no adult has one."""
    people = list(members)
    if not people:
        return ()
    found: set[Flag] = set()
    for person in people:
        found.update(vulnerability_flags(person, today=today))
    found.discard(Flag.NO_SMARTPHONE)
    adults = [
        p for p in people if age_on(p.birth_date, today) >= SMARTPHONE_EXPECTED_FROM_AGE
    ]
    if not any(p.has_smartphone for p in adults):
        found.add(Flag.NO_SMARTPHONE)
    if len(people) != 1:
        found.discard(Flag.LIVES_ALONE)
    return tuple(flag for flag in Flag if flag in found)


# ----------------------------------------------------------------- how a person is on record


class RegistrationKind(StrEnum):
    """Why a person is registered by staff rather than found in the resident register."""

    TRAVELLER = "traveller"
    MIGRANT_WORKER = "migrant_worker"
    NEWBORN = "newborn"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The kind as staff read it."""
        return str(KIND_LABELS[self])


KIND_LABELS: Mapping[RegistrationKind, Any] = {
    RegistrationKind.TRAVELLER: _l("traveller"),
    RegistrationKind.MIGRANT_WORKER: _l("migrant worker"),
    RegistrationKind.NEWBORN: _l("newborn"),
    RegistrationKind.OTHER: _l("other person not in the register"),
}
i18n.register_labels("registration_kind",
                     {str(kind.value): text for kind, text in KIND_LABELS.items()})


class IdType(StrEnum):
    """The identity document a number belongs to."""

    ID_CARD = "id_card"
    PASSPORT = "passport"
    TRAVEL_PERMIT = "travel_permit"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The document as staff read it."""
        return str(ID_TYPE_LABELS[self])


ID_TYPE_LABELS: Mapping[IdType, Any] = {
    IdType.ID_CARD: _l("resident identity card"),
    IdType.PASSPORT: _l("passport"),
    IdType.TRAVEL_PERMIT: _l("travel permit (Hong Kong, Macao, Taiwan)"),
    IdType.OTHER: _l("other document"),
}
i18n.register_labels("id_type", {str(kind.value): text for kind, text in ID_TYPE_LABELS.items()})


def kind_label(kind: str | None) -> str:
    """A registration kind as staff read it ("resident register" for the register's own)."""
    if kind is None:
        return _("resident register")
    try:
        return RegistrationKind(kind).label
    except ValueError:
        return kind


def id_type_label(id_type: str) -> str:
    """A document type as staff read it."""
    try:
        return IdType(id_type).label
    except ValueError:
        return id_type


# ----------------------------------------------------------------------------- search


class SearchMode(StrEnum):
    """How a search query is matched against residents."""

    ID_NUMBER = "id_number"
    NUMBER = "number"
    NAME_LOCAL = "name_local"
    NAME_LATIN = "name_latin"


@dataclass(frozen=True)
class PersonQuery:
    """A search query, read: its mode and the normalised value to match."""

    mode: SearchMode
    value: str


# A page of search results.
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
# Paging deeper than this is no way to find a person: staff refine the query instead,
# and the database never walks far down an index of ten million names.
MAX_OFFSET = 1000

ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
DIGITS_RE = re.compile(r"^\+?\d+$")
# Resident ids are database integers; a longer run of digits can only be a phone.
MAX_RESIDENT_ID_DIGITS = 9
PHONE_SEPARATORS_RE = re.compile(r"[\s\-()]")
WHITESPACE_RE = re.compile(r"\s+")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or ch == "·"
    )


def read_query(raw: str) -> PersonQuery | None:
    """Read a search box entry: 18-character id number, resident id or phone, or a name.

    Returns None for a query with nothing to search for.
    """
    text = WHITESPACE_RE.sub(" ", raw).strip()
    if not text:
        return None
    compact = PHONE_SEPARATORS_RE.sub("", text)
    if ID_NUMBER_RE.match(compact.upper()):
        return PersonQuery(SearchMode.ID_NUMBER, compact.upper())
    if DIGITS_RE.match(compact):
        return PersonQuery(SearchMode.NUMBER, compact)
    if any(_is_cjk(ch) for ch in text):
        return PersonQuery(SearchMode.NAME_LOCAL, text.replace(" ", ""))
    return PersonQuery(SearchMode.NAME_LATIN, text.lower())


def resident_id_of(query: PersonQuery) -> int | None:
    """The resident id a number query may name, or None when it cannot be one."""
    if query.mode is not SearchMode.NUMBER or query.value.startswith("+"):
        return None
    if len(query.value) > MAX_RESIDENT_ID_DIGITS:
        return None
    return int(query.value)


def prefix_upper_bound(value: str) -> str | None:
    """The smallest string above every string that starts with value (code point order)."""
    chars = list(value)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            # Surrogates cannot be encoded; the next character after them is U+E000.
            chars[-1] = chr(0xE000 if 0xD7FF <= last < 0xE000 else last + 1)
            return "".join(chars)
        chars.pop()
    return None
