"""FastAPI dependencies of home monitoring, shared by the api and the pages: who may read
and record checks, the list and checks as the caller may see them, and what monitoring
adds to the person's record and the command centre."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, PermissionDeniedError
from epidesk.kit import clock
from epidesk.kit.access import (
    HOTLINE_WRITE,
    MEDICAL_READ,
    PEOPLE_WRITE,
    QUARANTINE_WRITE,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _
from epidesk.kit.tiles import Tile
from epidesk.kit.web import CallerDep
from epidesk.people import repository as people
from epidesk.quarantine.models import HomeCheck
from epidesk.quarantine.monitoring import rules, service
from epidesk.quarantine.monitoring.schemas import CheckOut, MonitoredOut

# Community workers (and hotline operators by phone) record checks; facility managers
# too; medical readers see them.
WRITERS = (PEOPLE_WRITE, HOTLINE_WRITE, QUARANTINE_WRITE)
READERS = (*WRITERS, MEDICAL_READ)
FILTERS = (rules.DONE, rules.DUE, rules.MISSED, "needs_test")


def _needs(caller: Caller, permissions: Sequence[str]) -> Caller:
    if not any(caller.can(p) for p in permissions):
        raise PermissionDeniedError(_("this needs the permission %(permission)r",
                                      permission=permissions[0]))
    return caller


def _reader(caller: CallerDep) -> Caller:
    return _needs(caller, READERS)


def _desk(caller: CallerDep) -> Caller:
    return _needs(caller, WRITERS)


Reader = Annotated[Caller, Depends(_reader)]
Desk = Annotated[Caller, Depends(_desk)]


def may(caller: Caller, path: AreaPath | None, *, write: bool = False) -> bool:
    """Whether the caller may see (or record) checks of a resident living at path."""
    return path is not None and any(caller.may(p, path)
                                    for p in (WRITERS if write else READERS))


def ensure_person(session: Session, caller: Caller, resident_id: int, *,
                  write: bool = False) -> None:
    """A resident outside the caller's area reads as one that does not exist."""
    if not may(caller, people.resident_area(session, resident_id), write=write):
        raise NotFoundError(f"no resident {resident_id}")


def visible(session: Session, caller: Caller | None, found: Sequence[service.Monitored]
            ) -> list[service.Monitored]:
    """The people the caller may see (everyone for the command line)."""
    if caller is None:
        return list(found)
    return [m for m in found if may(caller, people.resident_area(session, m.resident_id))]


def listing(session: Session, caller: Caller | None, *, today: dt.date, state: str = ""
            ) -> tuple[list[MonitoredOut], list[int]]:
    """The people under monitoring in the caller's area (only those in a state, or
    needing a test, when asked), and the residents named."""
    found = visible(session, caller, service.under_monitoring(session, today=today))
    if state == "needs_test":
        found = [m for m in found if m.needs_test]
    elif state:
        found = [m for m in found if m.state == state]
    names = {r.id: r.name for r in people.residents_by_id(
        session, [m.resident_id for m in found]).values()}
    rows = [MonitoredOut(
        resident_id=m.resident_id, name=names.get(m.resident_id, ""), order_id=m.order_id,
        home_on=m.home_on, until=m.until, state=m.state, needs_test=m.needs_test,
        flagged_at=m.flagged_at, last_check_at=m.last.at if m.last else None,
        last_temperature=m.last.temperature if m.last else None,
        not_reached_today=m.not_reached_today) for m in found]
    rows.sort(key=lambda r: ({rules.MISSED: 0, rules.DUE: 1}.get(r.state, 2),
                             not r.needs_test, r.name, r.resident_id))
    return rows, sorted(names)


def check_out(c: HomeCheck) -> CheckOut:
    """A check as the API shows it."""
    return CheckOut(
        id=c.id, order_id=c.order_id, resident_id=c.resident_id, checked_on=c.checked_on,
        at=c.at, by=c.by, method=c.method, reached=c.reached, reason=c.reason,
        temperature=c.temperature, symptoms=c.symptoms.split(), other_symptom=c.other_symptom,
        flagged=c.flagged, cleared_at=c.cleared_at, cleared_by=c.cleared_by,
        cleared_reason=c.cleared_reason)


def person_state(session: Session, *, resident_id: int, today: dt.date
                 ) -> service.Monitored | None:
    """The resident's monitoring today, or None when they are not under it."""
    found = service.under_monitoring(session, today=today, resident_ids=[resident_id])
    return found[0] if found else None


def monitoring_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                     today: dt.date) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The resident's monitoring today and latest checks, for the person's record: (what
    the API shows, what the page reads); None when the caller may not see them, or there
    is nothing."""
    if not may(caller, area):
        return None
    checks = [check_out(c) for c in service.checks_of_resident(session,
                                                               resident_id=resident_id)]
    now = person_state(session, resident_id=resident_id, today=today)
    if not checks and now is None:
        return None
    state: dict[str, Any] | None = None
    shown: dict[str, Any] | None = None
    if now is not None:
        state = {"order_id": now.order_id, "until": now.until, "state": now.state,
                 "needs_test": now.needs_test}
        shown = {**state, "until": now.until.isoformat()}
    data = {"monitoring": shown,
            "home_checks": [c.model_dump(mode="json") for c in checks[:14]]}
    return data, {"monitoring": state, "checks": checks[:14]}


def monitoring_tiles(session: Session, *, caller: Caller) -> list[Tile]:
    """Under home monitoring, checked today, missed yesterday and needing a test in the
    caller's area (counts only). Like the transfers' figures these are the city's today,
    whatever day the overview shows: they are the day's work."""
    if not any(caller.can(p) for p in READERS):
        return []
    now = clock.local_day(clock.now())
    found = visible(session, caller, service.under_monitoring(session, today=now))
    return [Tile(key="quarantine.monitoring", title=_("Home health monitoring"),
                 template="quarantine/monitoring/_tile.html", link="/quarantine/monitoring",
                 data={"day": now.isoformat(), **service.counts(found)})]
