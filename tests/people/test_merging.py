"""Likely duplicates and merges: every domain's rows move, conflicts follow a rule, the
merged record stays as a tombstone, and a merge is all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, select
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.cases.service import ingest_results
from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import merges
from epidesk.kit.access import AreaFilter
from epidesk.kit.domains import load_models
from epidesk.people.merging import service
from epidesk.people.merging.rules import DuplicateReason, pairs_of
from epidesk.people.models import HouseholdMembership, PersonMerge, Resident
from epidesk.people.registry import service as registry
from epidesk.people.registry.rules import Registration
from epidesk.people.rules import IdType, RegistrationKind
from epidesk.testing.models import PositiveResult, Sample
from epidesk.tracing.models import (
    Contact,
    ContactEvidence,
    Exposure,
    FollowUpTest,
    VenueVisit,
)
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import NOW, csv_bytes, preset, single

REASON = "same person: checked with the household by phone"
T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def test_every_column_naming_a_resident_is_re_pointed_by_some_domain():
    assert merges.uncovered(load_models()) == []
    # A table added later with a key to the resident is noticed.
    copy = MetaData()
    for table in load_models().tables.values():
        table.to_metadata(copy)
    Table("stray_note", copy, Column("id", Integer, primary_key=True),
          Column("owner_id", ForeignKey("resident.id")), Column("helper_resident_id", Integer))
    assert merges.uncovered(copy) == ["stray_note.helper_resident_id", "stray_note.owner_id"]


def test_pairs_carry_every_reason_and_large_groups_are_capped():
    pairs = pairs_of([(DuplicateReason.SAME_NAME_BIRTH_PHONE, [5, 3]),
                      (DuplicateReason.SAME_ID_NUMBER, [3, 5, 9])])
    assert pairs == {(3, 5): [DuplicateReason.SAME_ID_NUMBER,
                              DuplicateReason.SAME_NAME_BIRTH_PHONE],
                     (3, 9): [DuplicateReason.SAME_ID_NUMBER],
                     (5, 9): [DuplicateReason.SAME_ID_NUMBER]}
    assert len(pairs_of([(DuplicateReason.SAME_ID_NUMBER, list(range(100)))])) == 190


def twin(db: Session, t: TinyCity, key: str = "zhao_lei", **changes: Any) -> Resident:
    """A second record of a tiny-city resident, registered by staff."""
    original = t.residents[key]
    household = next(h for h in t.households.values() if h.id == original.household_id)
    fields: dict[str, Any] = dict(
        kind=RegistrationKind.OTHER, name=original.name, name_latin=original.name_latin,
        sex=original.sex, birth_date=original.birth_date, id_type=IdType.PASSPORT,
        id_number=None, phone=None, has_smartphone=False, source="hotline",
        member_from=date(2026, 11, 1))
    fields.update(changes)
    return registry.register_person(db, registration=Registration(**fields),
                                    household_id=household.id, actor="clerk")


def test_duplicates_are_found_by_grouping_within_the_area(db: Session):
    t = tiny_city(db)
    zhao = twin(db, t)
    fang = twin(db, t, "wang_fang")
    found = service.find_duplicates(db)
    assert [(p.first.id, p.second.id, p.reasons) for p in found.items] == [
        (t.residents["zhao_lei"].id, zhao.id, ["same_name_birth_date_address"]),
        (t.residents["wang_fang"].id, fang.id, ["same_name_birth_date_address"])]
    assert found.items[0].reason_labels == ["same name, birth date and address"]
    home = AreaFilter(community_ids=frozenset({t.communities[0].id}))
    inside = service.find_duplicates(db, area=home)
    assert [p.second.id for p in inside.items] == [zhao.id] and inside.total == 1
    assert service.find_duplicates(db, limit=1, offset=1).items[0].second.id == fang.id


def _rows(db: Session, t: TinyCity, dup: Resident) -> None:
    """Tests, a case, visits, exposures and contact classifications on both records."""
    zhao = t.residents["zhao_lei"]
    result = ingest_results(
        db, content=csv_bytes([single("S1", dup.id, outcome="positive", ct=(22, 24))]),
        filename="batch.csv", received_by="lab-clerk", preset=preset(), now=NOW)
    assert result.accepted, result.report.problems
    venue = t.venue.id
    db.add_all([
        VenueVisit(resident_id=zhao.id, venue_id=venue, started_at=T0,
                   ended_at=T0 + timedelta(hours=1)),
        VenueVisit(resident_id=dup.id, venue_id=venue, started_at=T0,
                   ended_at=T0 + timedelta(hours=1)),
        VenueVisit(resident_id=dup.id, venue_id=venue, started_at=T0 + timedelta(days=1),
                   ended_at=T0 + timedelta(days=1, hours=1)),
        Exposure(resident_a_id=zhao.id, resident_b_id=dup.id, at=T0, setting="carer",
                 protected=False, place="home", recorded_by="x", recorded_at=T0),
        Exposure(resident_a_id=dup.id, resident_b_id=t.residents["li_na"].id, at=T0,
                 setting="carer", protected=False, place="home", recorded_by="x",
                 recorded_at=T0),
    ])
    for who, tier, first in ((zhao.id, "sub_close", T0 - timedelta(days=2)),
                             (dup.id, "close", T0)):
        db.add(Contact(resident_id=who, tier=tier, status="active", identified_at=T0,
                       updated_at=T0, isolated_at=T0, first_exposure_at=first,
                       last_exposure_at=T0, last_exposure_on=T0.date(),
                       preset="cn-9th-2022"))
        db.add(FollowUpTest(resident_id=who, category=f"{tier}_contact", day=1,
                            due_on=T0.date(), due_from=T0, due_until=T0 + timedelta(days=1),
                            place="home"))
    db.add(ContactEvidence(resident_id=t.residents["li_na"].id, case_id=1, tier="sub_close",
                           setting="household", place_id=1, via_resident_id=dup.id,
                           overlap_start=T0, overlap_end=T0, status="active", found_at=T0,
                           run_id=1))
    db.flush()


def _count(db: Session, model: Any, column: Any, value: int) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(column == value)) or 0)


def test_a_merge_moves_every_domains_rows_and_leaves_a_tombstone(db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    _rows(db, t, dup)
    out = service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason=REASON,
                               actor="clerk")
    db.expire_all()
    for model, column in ((Sample, Sample.resident_id),
                          (PositiveResult, PositiveResult.resident_id),
                          (CaseEpisode, CaseEpisode.resident_id),
                          (VenueVisit, VenueVisit.resident_id),
                          (Contact, Contact.resident_id),
                          (FollowUpTest, FollowUpTest.resident_id),
                          (HouseholdMembership, HouseholdMembership.resident_id)):
        assert _count(db, model, column, dup.id) == 0, model
    assert _count(db, CaseEpisode, CaseEpisode.resident_id, zhao.id) == 1
    assert _count(db, Sample, Sample.resident_id, zhao.id) == 1
    # The visit on both records is kept once; the other moves.
    assert _count(db, VenueVisit, VenueVisit.resident_id, zhao.id) == 2
    # The exposure between the two records goes; the other names the survivor.
    exposures = db.execute(select(Exposure.resident_a_id, Exposure.resident_b_id)).all()
    assert exposures == [(zhao.id, t.residents["li_na"].id)]
    # Of two contact classifications the stronger (close) is kept, with its follow-up.
    contact = db.scalars(select(Contact).where(Contact.resident_id == zhao.id)).one()
    assert contact.tier == "close"
    tests = db.scalars(select(FollowUpTest).where(FollowUpTest.resident_id == zhao.id)).all()
    assert [f.category for f in tests] == ["close_contact"]
    assert _count(db, ContactEvidence, ContactEvidence.via_resident_id, zhao.id) == 1
    # One household stay in the household both records lived in, from the earlier start.
    stays = db.scalars(select(HouseholdMembership)
                       .where(HouseholdMembership.resident_id == zhao.id)).all()
    assert [(s.start_date, s.end_date) for s in stays] == [(zhao.birth_date, None)]
    tomb = db.get(Resident, dup.id)
    assert tomb is not None and tomb.merged_into_id == zhao.id
    record = db.scalars(select(PersonMerge)).one()
    assert (record.survivor_id, record.merged_id, record.merged_by) == (zhao.id, dup.id,
                                                                        "clerk")
    assert record.reason == REASON
    assert any("kept the active close contact" in n for n in out.outcome), out.outcome
    assert any("kept once" in n for n in out.outcome)
    assert service.find_duplicates(db).total == 0


def test_a_merge_is_all_or_nothing(db: Session, monkeypatch: pytest.MonkeyPatch):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    _rows(db, t, dup)
    real = merges.merge_parts()

    def broken(session: Session, merge: merges.Merge) -> list[str]:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(merges, "merge_parts",
                        lambda: [*real, merges.MergePart(covers=(), apply=broken)])
    with pytest.raises(RuntimeError):
        service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason=REASON,
                             actor="clerk")
    db.expire_all()
    assert _count(db, CaseEpisode, CaseEpisode.resident_id, dup.id) == 1
    assert _count(db, Contact, Contact.resident_id, dup.id) == 1
    assert _count(db, HouseholdMembership, HouseholdMembership.resident_id, dup.id) == 1
    assert _count(db, Exposure, Exposure.resident_a_id, zhao.id) == 1
    assert db.get(Resident, dup.id).merged_into_id is None  # type: ignore[union-attr]
    assert db.scalars(select(PersonMerge)).all() == []


def test_refused_merges(db: Session):
    t = tiny_city(db)
    zhao, fang = t.residents["zhao_lei"], t.residents["wang_fang"]
    dup = twin(db, t)
    with pytest.raises(ValidationFailedError, match="itself"):
        service.merge_people(db, survivor_id=zhao.id, merged_id=zhao.id, reason=REASON,
                             actor="x")
    with pytest.raises(ValidationFailedError, match="reason"):
        service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason="dup",
                             actor="x")
    home = AreaFilter(community_ids=frozenset({t.communities[0].id}))
    with pytest.raises(ValidationFailedError, match="in your area"):
        service.merge_people(db, survivor_id=zhao.id, merged_id=fang.id, reason=REASON,
                             actor="x", area=home)
    with pytest.raises(NotFoundError):
        service.merge_people(db, survivor_id=fang.id, merged_id=zhao.id, reason=REASON,
                             actor="x", area=home)
    service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason=REASON, actor="x")
    with pytest.raises(ValidationFailedError, match="already merged"):
        service.merge_people(db, survivor_id=dup.id, merged_id=zhao.id, reason=REASON,
                             actor="x")


def test_a_second_merge_re_points_the_first_tombstone(db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    first, second = twin(db, t), twin(db, t, phone="13800000000")
    service.merge_people(db, survivor_id=second.id, merged_id=first.id, reason=REASON,
                         actor="x")
    service.merge_people(db, survivor_id=zhao.id, merged_id=second.id, reason=REASON,
                         actor="x")
    db.expire_all()
    assert db.get(Resident, first.id).merged_into_id == zhao.id  # type: ignore[union-attr]


def test_merge_through_the_api_with_its_audit_entry_and_the_tombstone_redirects(
        client: TestClient, db: Session):
    from epidesk.auth import service as auth

    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    listed = client.get("/api/people/duplicates").json()
    assert [(p["first"]["id"], p["second"]["id"]) for p in listed["items"]] == [
        (zhao.id, dup.id)]
    bad = client.post(f"/api/people/{zhao.id}/merge", json={"other_id": zhao.id,
                                                             "reason": REASON})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "other_id"]
    short = client.post(f"/api/people/{zhao.id}/merge", json={"other_id": dup.id,
                                                               "reason": "same"})
    assert short.status_code == 422 and short.json()["errors"][0]["loc"] == ["body", "reason"]
    r = client.post(f"/api/people/{zhao.id}/merge", json={"other_id": dup.id,
                                                           "reason": REASON})
    assert r.status_code == 200, r.text
    assert r.json()["merged_id"] == dup.id and r.json()["outcome"]
    for person in (zhao.id, dup.id):
        entries = auth.search_audit(db, person_id=person, username="test-admin")
        assert any(e.action == "merge" and e.record_type == "person_merge"
                   and e.record_id == str(r.json()["id"]) for e in entries), person
    api = client.get(f"/api/people/{dup.id}")
    assert api.status_code == 308 and api.headers["location"] == f"/api/people/{zhao.id}"
    page = client.get(f"/people/{dup.id}", headers={"accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == f"/people/{zhao.id}?merged_from={dup.id}"
    survivor = client.get(page.headers["location"], headers={"accept": "text/html"})
    assert f"Record {dup.id} was merged into this one" in survivor.text
    assert client.get("/api/people", params={"q": "zhao lei"}).json()["items"][0]["id"] == (
        zhao.id)
    assert len(client.get("/api/people", params={"q": "zhao lei"}).json()["items"]) == 1


def test_merge_from_the_page_needs_a_confirmation(client: TestClient, db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    client.get("/signin")
    token = client.cookies.get("epidesk_presession")
    form = client.get(f"/people/{zhao.id}/merge", params={"other": dup.id},
                      headers={"accept": "text/html"})
    assert form.status_code == 200 and "Merge into record" in form.text
    assert "resident register" in form.text and "other person not in the register" in form.text
    unconfirmed = client.post(f"/people/{zhao.id}/merge", data={
        "other_id": str(dup.id), "reason": REASON, "csrf_token": token})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    assert db.get(Resident, dup.id).merged_into_id is None  # type: ignore[union-attr]
    done = client.post(f"/people/{zhao.id}/merge", data={
        "other_id": str(dup.id), "reason": REASON, "confirm": "1", "csrf_token": token})
    assert done.status_code == 303
    assert db.get(Resident, dup.id).merged_into_id == zhao.id  # type: ignore[union-attr]
    listed = client.get("/people/duplicates", headers={"accept": "text/html"})
    assert "No likely duplicates" in listed.text


def test_a_lab_line_naming_a_merged_record_is_the_survivors(db: Session):
    import numpy as np

    from epidesk.kit.merges import follow_merges

    ids = np.asarray([5, 7, 9, 2], dtype=np.int64)
    assert follow_merges(ids, np.asarray([2, 7]), np.asarray([20, 70])).tolist() == [
        5, 70, 9, 20]
    assert follow_merges(ids, np.asarray([], dtype=np.int64),
                         np.asarray([], dtype=np.int64)).tolist() == [5, 7, 9, 2]
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason=REASON, actor="x")
    result = ingest_results(
        db, content=csv_bytes([single("S9", dup.id, outcome="positive", ct=(22, 24))]),
        filename="late.csv", received_by="lab-clerk", preset=preset(), now=NOW)
    assert result.accepted, result.report.problems
    assert _count(db, Sample, Sample.resident_id, zhao.id) == 1
    assert _count(db, Sample, Sample.resident_id, dup.id) == 0
    assert _count(db, CaseEpisode, CaseEpisode.resident_id, zhao.id) == 1


def test_a_visit_log_line_naming_a_merged_record_is_the_survivors(db: Session):
    from epidesk.tracing.visits import service as visits

    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    service.merge_people(db, survivor_id=zhao.id, merged_id=dup.id, reason=REASON, actor="x")
    log = (f"resident_id,venue_id,started_at,ended_at\n"
           f"{dup.id},{t.venue.id},2026-11-20T08:00:00+08:00,2026-11-20T09:00:00+08:00\n")
    result = visits.import_visits(db, content=log.encode(), filename="visits.csv",
                                  received_by="clerk", now=NOW)
    assert result.accepted
    assert _count(db, VenueVisit, VenueVisit.resident_id, zhao.id) == 1
    assert _count(db, VenueVisit, VenueVisit.resident_id, dup.id) == 0


def test_registration_duplicates_and_merge_pages_read_in_chinese(client: TestClient,
                                                                 db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    dup = twin(db, t)
    zh = {"accept": "text/html", "Accept-Language": "zh"}
    new = client.get("/people/new", headers=zh)
    assert new.status_code == 200 and '<html lang="zh-Hans">' in new.text
    assert "<h1>登记未在居民登记册中的人员</h1>" in new.text
    assert "外来务工人员" in new.text and "港澳台通行证" in new.text
    assert "Register a person who is not in the resident register" not in new.text
    listed = client.get("/people/duplicates", headers=zh)
    assert listed.status_code == 200 and "<h1>疑似重复记录</h1>" in listed.text
    assert "姓名、出生日期和住址相同" in listed.text and "比对并合并" in listed.text
    assert "Likely duplicate records" not in listed.text
    assert "same name, birth date and address" not in listed.text
    form = client.get(f"/people/{zhao.id}/merge", params={"other": dup.id}, headers=zh)
    assert form.status_code == 200 and "<h1>合并同一人的两条记录</h1>" in form.text
    assert "居民登记册" in form.text and "其他未在册人员" in form.text
    assert f"合并到记录 {zhao.id}" in form.text
    assert "Merge two records of one person" not in form.text
    client.get("/signin")
    token = client.cookies.get("epidesk_presession")
    unconfirmed = client.post(f"/people/{zhao.id}/merge", headers=zh, data={
        "other_id": str(dup.id), "reason": REASON, "csrf_token": token})
    assert unconfirmed.status_code == 422 and "请勾选以确认合并" in unconfirmed.text
