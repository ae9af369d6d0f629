"""Pure rules of registration: kinds, identity documents, and what a registration needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from epidesk.kit.i18n import _
from epidesk.people.rules import ID_NUMBER_RE, WHITESPACE_RE, IdType, RegistrationKind

# A newborn is registered within its first year; older children are "other".
NEWBORN_MAX_DAYS = 366
LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z' .\-]*$")
PHONE_RE = re.compile(r"^\+?\d{5,15}$")
DOCUMENT_RE = re.compile(r"^[A-Z0-9]{5,32}$")


# Kinds that may be registered without any document number.
NUMBER_OPTIONAL = frozenset({RegistrationKind.NEWBORN, RegistrationKind.TRAVELLER,
                             RegistrationKind.OTHER})


def search_key(name_latin: str) -> str:
    """The lower-case latin name that prefix search walks, as for the register's residents."""
    return WHITESPACE_RE.sub(" ", name_latin).strip().lower()


def normalise_number(raw: str | None) -> str | None:
    """A document number without spaces or dashes, upper case; None when empty."""
    if raw is None:
        return None
    text = re.sub(r"[\s\-]", "", raw).upper()
    return text or None


@dataclass(frozen=True)
class Registration:
    """What staff enter to register a person."""

    kind: RegistrationKind
    name: str
    name_latin: str
    sex: str
    birth_date: date
    id_type: IdType
    id_number: str | None
    phone: str | None
    has_smartphone: bool
    source: str
    member_from: date


def registration_problems(r: Registration, *, today: date) -> list[tuple[str, str]]:
    """What is wrong with a registration, as (field, message); empty when it is right."""
    found: list[tuple[str, str]] = []
    if not r.name.strip():
        found.append(("name", _("give the name in Chinese characters (or as on the document)")))
    if not LATIN_NAME_RE.match(r.name_latin.strip()):
        found.append(("name_latin", _("give the name in latin letters, e.g. 'Wang Xiuying'")))
    if r.sex not in ("F", "M"):
        found.append(("sex", _("sex is F or M")))
    if r.birth_date > today:
        found.append(("birth_date", _("the birth date %(day)s is after today",
                                      day=r.birth_date.isoformat())))
    elif r.kind is RegistrationKind.NEWBORN and (today - r.birth_date).days > NEWBORN_MAX_DAYS:
        found.append(("birth_date", _("a newborn is registered within its first year; "
                                      "register an older child as 'other'")))
    if r.id_number is None:
        if r.kind not in NUMBER_OPTIONAL:
            found.append(("id_number", _("a %(kind)s is registered with a document number",
                                         kind=r.kind.label)))
    elif r.id_type is IdType.ID_CARD and not ID_NUMBER_RE.match(r.id_number):
        found.append(("id_number", _("a resident identity card number has 18 characters: "
                                     "17 digits and a digit or X")))
    elif r.id_type is not IdType.ID_CARD and not DOCUMENT_RE.match(r.id_number):
        found.append(("id_number", _("a document number has 5 to 32 letters and digits")))
    if r.phone is not None and not PHONE_RE.match(r.phone):
        found.append(("phone", _("a phone number has 5 to 15 digits, optionally after +")))
    if not r.source.strip():
        found.append(("source", _("say where the person was registered (e.g. 'station "
                                  "checkpoint', 'maternity ward')")))
    if r.member_from > today:
        found.append(("member_from", _("the household membership cannot start after today")))
    elif r.member_from < r.birth_date:
        found.append(("member_from", _("the household membership cannot start before birth")))
    return found
