"""What the vaccination domain never does, shown.

- No role without vaccination.read can read a vaccination field, nor its absence: two
  residents alike in everything but vaccination (one with a dose, a deferral, an adverse
  event, an appointment and reminders; one with nothing) read the same on every GET route
  of the application and in every person panel, for every such role, city-wide. Bookers
  (vaccination.book) see only which dose may be booked now, and nothing else.
- No list of unvaccinated residents, no score, no reward, no gate: no route or command
  offers one.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.auth.rules import ROLES
from epidesk.kit.access import VACCINATION_BOOK, VACCINATION_READ
from epidesk.people.models import Resident
from epidesk.vaccination.booking import service as booking
from tests.test_routes import ALL_ROUTES
from tests.vaccination.scene import LOT, Scene, scene

TWINS = (900_001, 900_002)  # ids no other figure on a page is likely to equal
NUMBERS = ("110101198001010011", "110101198001010022")
NAMES = (("孪甲", "Twin Alpha", "twin alpha"), ("孪乙", "Twin Beta", "twin beta"))
# Values only the vaccinated twin's record holds (product names are public: the products).
SECRETS = (LOT, "Dr Secretvaccinator", "secretreason", "secretreaction", "vaccination_record",
           "dose_number")
ROLES_WITHOUT_READ = sorted(r for r, perms in ROLES.items() if VACCINATION_READ not in perms)
# The supplies depots show a site's vaccine lots as its depot's stock, the same whoever
# was vaccinated: the lot code is stock there, not a record.
STOCK_ROUTES = {"/api/supplies/depots/{depot_id}", "/supplies/depots"}
# What a booker may see of one person: which dose may be booked now, and the places.
BOOKING_ROUTES = {"/api/vaccination/residents/{resident_id}/options",
                  "/vaccination/residents/{resident_id}/book"}


def _twins(db: Session) -> Scene:
    s = scene(db)
    home = s.city.households["wang"]
    for rid, number, (name, latin, search) in zip(TWINS, NUMBERS, NAMES, strict=True):
        db.add(Resident(id=rid, household_id=home.id, community_id=home.community_id,
                        id_number=number, name=name, name_latin=latin, name_search=search,
                        sex="F", birth_date=date(1980, 1, 1), phone=None,
                        has_smartphone=True, pregnant=False, disability=False,
                        chronic_medication=False))
    db.flush()
    from epidesk.certificates import service as certificates

    certificates.generate_key(db, actor="test")  # so the dose gets its certificate too
    vaccinated = TWINS[0]
    given = booking.record_dose(db, resident_id=vaccinated, site_id=s.site.id,
                                product="coronavac", lot=LOT, vaccinator="Dr Secretvaccinator",
                                actor="vaccinator")
    assert given.next_appointment is not None and given.certificate_id is not None
    booking.record_adverse_event(db, dose_id=given.dose.id, severity="mild",
                                 onset_at=given.dose.given_at + timedelta(hours=2),
                                 description="secretreaction", actor="vaccinator")
    booking.record_hold(db, resident_id=vaccinated, kind="acute_illness",
                        reason="secretreason", until=s.today + timedelta(days=30),
                        actor="vaccinator")
    booking.set_reminders(db, resident_id=vaccinated, opted_in=True, actor="vaccinator")
    return s


def _url(path: str, resident: int, s: Scene) -> str:
    home = s.city.households["wang"]
    community = next(c for c in s.city.communities if c.id == home.community_id)
    subdistrict = next(x for x in s.city.subdistricts if x.id == community.subdistrict_id)
    values = {"resident_id": resident, "household_id": home.id, "community_id": community.id,
              "subdistrict_id": subdistrict.id, "district_id": subdistrict.district_id,
              "site_id": s.site.id}
    return re.sub(r"\{([^}]+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _normal(text: str, me: int) -> str:
    """The answer with the resident it is about named SELF and the twin OTHER."""
    other = TWINS[1] if me == TWINS[0] else TWINS[0]
    for who, tag in ((me, "SELF"), (other, "OTHER")):
        i = TWINS.index(who)
        for value in (*NAMES[i], NUMBERS[i]):
            text = text.replace(value, tag)
        text = re.sub(rf"(?<![0-9]){who}(?![0-9])", f"{tag}_ID", text)
    return text


def _difference(a: tuple[int, str], b: tuple[int, str]) -> list[str]:
    import difflib

    return [line for line in difflib.unified_diff(a[1].splitlines(), b[1].splitlines(),
                                                   lineterm="", n=0)][:12]


# What a role may read is decided above the database: one backend suffices.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ROLES_WITHOUT_READ)
def test_no_role_without_vaccination_read_learns_anything_of_a_record(
        db: Session, anon_client: TestClient, bearer, role: str) -> None:  # type: ignore[no-untyped-def]
    s = _twins(db)
    anon_client.headers.update(bearer(f"probe-{role}", [role], "city", None))
    booker = VACCINATION_BOOK in ROLES[role]
    walked = 0
    for method, path in ALL_ROUTES:
        if method != "GET" or path.startswith("/assets") or path == "/language":
            continue
        for accept in ("application/json", "text/html"):
            answers = {}
            for twin in TWINS:
                answer = anon_client.get(_url(path, twin, s), headers={"accept": accept})
                text = answer.text
                leaked = [x for x in SECRETS if x in text]
                if path in BOOKING_ROUTES and booker:
                    leaked = [x for x in leaked if x != "dose_number"]
                if path in STOCK_ROUTES:
                    leaked = [x for x in leaked if x != LOT]
                assert not leaked, (role, path, accept, leaked)
                answers[twin] = (answer.status_code, _normal(text, twin))
                walked += 1
            if "{resident_id}" in path and not (path in BOOKING_ROUTES and booker):
                first, second = answers[TWINS[0]], answers[TWINS[1]]
                assert first[0] == second[0], (role, path, accept)
                assert first[1] == second[1], (role, path, accept, _difference(*answers.values()))
    assert walked > 100


def test_a_booker_sees_only_the_dose_bookable_now(db: Session, anon_client: TestClient,
                                                   bearer) -> None:  # type: ignore[no-untyped-def]
    _twins(db)
    anon_client.headers.update(bearer("operator", ["hotline_operator"], "city", None))
    body = anon_client.get(f"/api/vaccination/residents/{TWINS[0]}/options").json()
    assert set(body) == {"dose_number", "series", "from_day", "booked_day", "booked_site_id",
                         "places"}
    assert body["dose_number"] == 2 and body["booked_day"] is not None
    assert anon_client.get(f"/api/vaccination/residents/{TWINS[0]}").status_code == 403
    people = anon_client.get(f"/api/people/{TWINS[0]}").json()
    assert "vaccination" not in {p["key"] for p in people.get("panels", [])}


def test_no_route_lists_the_unvaccinated_or_scores_anyone() -> None:
    words = ("unvaccinated", "not-vaccinated", "score", "reward", "credit", "report-",
             "missing", "refus", "exempt")
    vaccination_routes = [p for _m, p in ALL_ROUTES if "vaccin" in p]
    assert vaccination_routes
    assert not [p for p in vaccination_routes if any(w in p for w in words)]
    from typer.main import get_command

    from epidesk.vaccination.cli import app

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert commands == {"products", "import-sites", "sites", "open-slots", "check",
                        "coverage", "remind"}
