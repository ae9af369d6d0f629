"""Testing and cases: lab batches' tubes, residents' results, cases."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import PERSONAL, Probe, _resident


def _medical_grant(t: TinyCity) -> None:
    """Give the worker the epidemiologist role over its community (once)."""
    if getattr(t, "medical", False):
        return
    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth

    session = object_session(t.city)
    assert session is not None
    auth.grant_role(session, username="worker", role="epidemiologist", scope_kind="community",
                    scope_id=t.communities[0].id, granted_by="test")
    t.medical = True  # type: ignore[attr-defined]


def _tested(t: TinyCity) -> dict[str, int]:
    """A lab batch with a positive single tube for a resident of each of the first two
    communities (so each has a case) and a positive pool of both (so both get retests)."""
    found: dict[str, int] | None = getattr(t, "tested", None)
    if found is not None:
        return found
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.cases import service as cases
    from epidesk.cases.models import CaseEpisode
    from epidesk.testing.models import Tube
    from tests.testing.batches import csv_bytes, pool, single

    session = object_session(t.city)
    assert session is not None
    _medical_grant(t)
    inside, outside = _resident(t, True), _resident(t, False)
    others = [r.id for r in t.residents.values() if r.id not in (inside, outside)]
    # Barcodes of digits only, so that an unknown one reads the same (see the probe).
    rows = [single("RS-IN", inside, tube="7001", outcome="positive", ct=(24.0, 25.0)),
            single("RS-OUT", outside, tube="7002", outcome="positive", ct=(24.0, 25.0)),
            *pool("RP-1", [inside, outside, *others[:3]], outcome="positive",
                  ct=(30.0, 31.0))]
    result = cases.ingest_results(session, content=csv_bytes(rows), filename="routes.csv",
                                  received_by="test")
    assert result.accepted, result.report
    tubes = {code: i for code, i in session.execute(select(Tube.code, Tube.id))}
    episodes = {r: i for r, i in session.execute(select(CaseEpisode.resident_id,
                                                         CaseEpisode.id))}
    found = {"tube_inside": tubes["7001"], "tube_outside": tubes["7002"],
             "case_inside": episodes[inside], "case_outside": episodes[outside],
             "batch": result.batch.id}
    t.tested = found  # type: ignore[attr-defined]
    return found


def _tube(t: TinyCity, inside: bool) -> int:
    return _tested(t)["tube_inside" if inside else "tube_outside"]


def _tube_code(t: TinyCity, inside: bool) -> str:
    return (_tested(t), "7001" if inside else "7002")[1]


def _reported(t: TinyCity, inside: bool) -> int:
    return _tested(t)["case_inside" if inside else "case_outside"]


def _tested_resident(t: TinyCity, inside: bool) -> int:
    return (_tested(t), _resident(t, inside))[1]


PERSONAL.update({
    # A tube with no sample inside the caller's area does not exist for the caller.
    ("GET", "/testing/tubes/{tube_id}"): Probe(lambda t, i: f"/testing/tubes/{_tube(t, i)}"),
    ("GET", "/api/testing/tubes/{tube_id}"): Probe(
        lambda t, i: f"/api/testing/tubes/{_tube(t, i)}"),
    ("GET", "/api/testing/tubes/by-code/{code}"): Probe(
        lambda t, i: f"/api/testing/tubes/by-code/{_tube_code(t, i)}"),
    # A batch lists only the tubes holding a sample of someone inside the caller's area.
    ("GET", "/testing/batches/{batch_id}"): Probe(
        lambda t, i: f"/testing/batches/{_tested(t)['batch']}",
        lambda t, i: f">{_tube_code(t, i)}</a>"),
    ("GET", "/api/testing/batches/{batch_id}/tubes"): Probe(
        lambda t, i: f"/api/testing/batches/{_tested(t)['batch']}/tubes",
        lambda t, i: f'"code":"{_tube_code(t, i)}"'),
    ("GET", "/testing/residents/{resident_id}"): Probe(
        lambda t, i: f"/testing/residents/{_tested_resident(t, i)}"),
    ("GET", "/api/testing/residents/{resident_id}"): Probe(
        lambda t, i: f"/api/testing/residents/{_tested_resident(t, i)}"),
    ("GET", "/testing/retests"): Probe(
        lambda t, i: (_tested(t), "/testing/retests")[1],
        lambda t, i: f"/testing/residents/{_resident(t, i)}\""),
    ("GET", "/api/testing/retests"): Probe(
        lambda t, i: (_tested(t), "/api/testing/retests")[1],
        lambda t, i: f'"resident_id":{_resident(t, i)},'),
    ("GET", "/cases"): Probe(lambda t, i: (_tested(t), "/cases")[1],
                             lambda t, i: f"/cases/{_reported(t, i)}\""),
    ("GET", "/api/cases"): Probe(lambda t, i: (_tested(t), "/api/cases")[1],
                                 lambda t, i: f'"resident_id":{_resident(t, i)},'),
    ("GET", "/cases/{case_id}"): Probe(lambda t, i: f"/cases/{_reported(t, i)}"),
    ("GET", "/api/cases/{case_id}"): Probe(lambda t, i: f"/api/cases/{_reported(t, i)}"),
    ("POST", "/api/cases/{case_id}/reclassify"): Probe(
        lambda t, i: f"/api/cases/{_reported(t, i)}/reclassify", json={}),
    ("POST", "/api/cases/{case_id}/withdraw"): Probe(
        lambda t, i: f"/api/cases/{_reported(t, i)}/withdraw",
        json={"reason": "false positive: lab contamination"}),
    ("POST", "/cases/{case_id}/reclassify"): Probe(
        lambda t, i: f"/cases/{_reported(t, i)}/reclassify", form={}),
    ("POST", "/cases/{case_id}/withdraw"): Probe(
        lambda t, i: f"/cases/{_reported(t, i)}/withdraw",
        form={"reason": "false positive: lab contamination"}),
})
