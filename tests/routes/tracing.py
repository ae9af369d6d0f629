"""Contact tracing: a case's contacts, a contact's evidence, letters, follow-up."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import PERSONAL, Probe
from tests.routes.testing import _medical_grant


def _traced(t: TinyCity) -> dict[str, int]:
    """A traced case in each of the first two communities, and the worker's medical grant.

    The worker (a community worker) is also given the epidemiologist role over its
    community, since contacts need the permission 'medical.read'.
    """
    found: dict[str, int] | None = getattr(t, "traced", None)
    if found is not None:
        return found
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.cases.models import CaseEpisode
    from epidesk.people.models import Resident
    from epidesk.tracing.runs import service as tracing

    session = object_session(t.city)
    assert session is not None
    _medical_grant(t)
    pine = t.households["pine"]
    neighbour = Resident(household_id=pine.id, community_id=pine.community_id,
                         id_number="370811198001019999", name="王强", name_latin="Wang Qiang",
                         name_search="wang qiang", sex="M", birth_date=date(1980, 1, 1),
                         phone=None, has_smartphone=True, pregnant=False, disability=False,
                         chronic_medication=False)
    session.add(neighbour)
    session.flush()
    today = datetime.now(UTC).date()
    cases = {}
    for key, person in (("inside", t.residents["wang_xiulan"]), ("outside", neighbour)):
        community = next(c for c in t.communities if c.id == person.community_id)
        district = next(s.district_id for s in t.subdistricts
                        if s.id == community.subdistrict_id)
        case = CaseEpisode(
            resident_id=person.id, classification="asymptomatic", status="active",
            sampling_date=today - timedelta(days=6), onset_date=None,
            isolation_date=today - timedelta(days=5), reported_on=today - timedelta(days=5),
            diagnosed_at=datetime.now(UTC), recorded_at=datetime.now(UTC),
            asymptomatic_on=today - timedelta(days=5), confirmed_on=None,
            district_id=district, community_id=community.id, imported=False)
        session.add(case)
        session.flush()
        cases[key] = case.id
    tracing.run_tracing(session, actor="test")
    found = {"case_inside": cases["inside"], "case_outside": cases["outside"],
             "contact_inside": t.residents["wang_xiuying"].id,
             "contact_outside": t.residents["wang_fang"].id}
    t.traced = found  # type: ignore[attr-defined]
    return found


def _case(t: TinyCity, inside: bool) -> int:
    return _traced(t)["case_inside" if inside else "case_outside"]


def _contact(t: TinyCity, inside: bool) -> int:
    return _traced(t)["contact_inside" if inside else "contact_outside"]


PERSONAL.update({
    ("GET", "/tracing/cases/{case_id}"): Probe(lambda t, i: f"/tracing/cases/{_case(t, i)}"),
    ("GET", "/api/tracing/cases/{case_id}/contacts"): Probe(
        lambda t, i: f"/api/tracing/cases/{_case(t, i)}/contacts"),
    ("GET", "/tracing/contacts/{resident_id}"): Probe(
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}"),
    ("GET", "/api/tracing/contacts/{resident_id}"): Probe(
        lambda t, i: f"/api/tracing/contacts/{_contact(t, i)}"),
    ("GET", "/tracing/contacts/{resident_id}/letter"): Probe(
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}/letter"),
    ("GET", "/api/tracing/contacts/{resident_id}/letter"): Probe(
        lambda t, i: f"/api/tracing/contacts/{_contact(t, i)}/letter"),
    # An investigator's decision on a classification (the worker is an epidemiologist of
    # its community).
    ("POST", "/api/tracing/contacts/{resident_id}/decisions"): Probe(
        lambda t, i: f"/api/tracing/contacts/{_contact(t, i)}/decisions", ok=201,
        json={"kind": "confirmed", "reason": "reviewed with the household"}),
    ("POST", "/tracing/contacts/{resident_id}/decisions"): Probe(
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}/decisions",
        form={"kind": "confirmed", "reason": "reviewed with the household"}),
    ("GET", "/tracing/follow-up"): Probe(
        lambda t, i: (_traced(t), "/tracing/follow-up")[1],
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}\""),
    ("GET", "/api/tracing/follow-up/missed"): Probe(
        lambda t, i: (_traced(t), "/api/tracing/follow-up/missed")[1],
        lambda t, i: f'"resident_id":{_contact(t, i)},'),
})
