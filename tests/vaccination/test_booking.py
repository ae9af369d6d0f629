"""Appointments by pool and dose number, doses, second doses, holds and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.messages.models import OutboundMessage
from epidesk.supplies.models import StockMovement
from epidesk.vaccination.booking import repository, service
from epidesk.vaccination.models import SlotPool
from epidesk.vaccination.sites import service as sites
from tests.vaccination.scene import LOT, scene


def test_first_doses_never_take_the_places_kept_for_second_doses(db: Session) -> None:
    s = scene(db)
    people = [s.city.residents[k].id for k in ("li_na", "li_qiang", "zhang_min")]
    for person in people[:2]:
        service.book(db, resident_id=person, site_id=s.site.id, day=s.today, channel="public",
                     actor="public")
    with pytest.raises(ConflictError, match="no free place for dose 1"):
        service.book(db, resident_id=people[2], site_id=s.site.id, day=s.today,
                     channel="public", actor="public")
    second = repository.pool(db, s.site.id, s.today, 2)
    assert second is not None and (second.capacity, second.booked) == (2, 0)
    # The cancelled place returns to the first-dose pool.
    first = repository.booked_for(db, people[0], 1)
    assert first is not None
    service.cancel(db, appointment_id=first.id)
    service.book(db, resident_id=people[2], site_id=s.site.id, day=s.today, channel="hotline",
                 actor="operator")


def test_a_booking_before_the_dose_is_due_is_refused(db: Session) -> None:
    s = scene(db)
    toddler = s.city.residents["wang_wei"].id  # born 2025: no vaccine before 3
    with pytest.raises(ValidationFailedError, match="may be booked from") as caught:
        service.book(db, resident_id=toddler, site_id=s.site.id, day=s.today,
                     channel="community", actor="worker")
    assert caught.value.extra["field"] == "day"
    assert db.scalar(select(SlotPool.booked).where(SlotPool.site_id == s.site.id,
                                                   SlotPool.day == s.today,
                                                   SlotPool.dose_number == 1)) == 0


def test_the_first_dose_books_the_second_and_uses_the_lot(db: Session) -> None:
    s = scene(db)
    person = s.city.residents["chen_jing"].id
    service.book(db, resident_id=person, site_id=s.site.id, day=s.today, channel="public",
                 actor="public")
    given = service.record_dose(db, resident_id=person, site_id=s.site.id, product="coronavac",
                                lot=LOT, vaccinator="Dr Liu", actor="vaccinator")
    assert given.dose.dose_number == 1 and not given.dose.walk_in
    assert given.next_appointment is not None
    assert given.next_appointment.day == s.today + timedelta(days=21)
    assert given.next_appointment.dose_number == 2
    assert given.next_appointment.channel == "site"
    assert sites.stock(db, [s.site.id])[0].doses == 99
    appointments = repository.appointments_of(db, person)
    assert {a.status for a in appointments} == {"done", "booked"}


def test_a_walk_in_from_a_lot_the_site_does_not_hold_is_refused(db: Session) -> None:
    s = scene(db)
    person = s.city.residents["chen_jie"].id
    with pytest.raises(ValidationFailedError, match="holds no dose of lot NOPE") as caught:
        service.record_dose(db, resident_id=person, site_id=s.site.id, product="coronavac",
                            lot="NOPE", vaccinator="Dr Liu", actor="vaccinator")
    assert caught.value.extra["field"] == "lot"
    assert repository.doses_of(db, person) == []
    walk_in = service.record_dose(db, resident_id=person, site_id=s.site.id,
                                  product="coronavac", lot=LOT, vaccinator="Dr Liu",
                                  actor="vaccinator")
    assert walk_in.dose.walk_in
    kinds = db.scalars(select(StockMovement.kind).where(
        StockMovement.depot_id == s.site.depot_id))
    assert sorted(kinds) == ["issue", "receipt"]


def test_a_deferral_moves_the_dose_and_changes_nothing_else(db: Session) -> None:
    s = scene(db)
    person = s.city.residents["li_na"].id
    with pytest.raises(ValidationFailedError, match="end date"):
        service.record_hold(db, resident_id=person, kind="fever", reason="", until=None,
                            actor="vaccinator")
    hold = service.record_hold(db, resident_id=person, kind="fever", reason="38.5 C",
                               until=s.today, actor="vaccinator")
    found = service.open_dose(db, resident_id=person, today=s.today)
    assert found is not None and found.earliest == s.today + timedelta(days=1)
    with pytest.raises(ValidationFailedError):
        service.book(db, resident_id=person, site_id=s.site.id, day=s.today,
                     channel="public", actor="public")
    service.book(db, resident_id=person, site_id=s.site.id, day=s.today + timedelta(days=1),
                 channel="public", actor="public")
    service.end_hold(db, hold_id=hold.id, on=s.today - timedelta(days=1))
    found = service.open_dose(db, resident_id=person, today=s.today)
    assert found is not None and found.earliest == s.today


def test_reminders_go_only_to_residents_who_opted_in(db: Session) -> None:
    s = scene(db)
    asked = s.city.residents["wang_fang"].id
    service.set_reminders(db, resident_id=asked, opted_in=True, actor="public")
    service.set_reminders(db, resident_id=s.city.residents["li_qiang"].id, opted_in=False,
                          actor="public")
    assert service.send_reminders(db, today=s.today, actor="job") == 1
    assert service.send_reminders(db, today=s.today, actor="job") == 0  # once per dose
    messages = db.scalars(select(OutboundMessage)).all()
    assert [(m.resident_id, m.topic) for m in messages] == [(asked,
                                                              "vaccination.dose_reminder")]


def test_the_identity_check_needs_both_number_and_birth_date(db: Session) -> None:
    s = scene(db)
    person = s.city.residents["li_na"]
    assert person.id_number is not None
    assert service.find_by_identity(db, id_number=person.id_number.lower(),
                                    birth=person.birth_date) == person.id
    assert service.find_by_identity(db, id_number=person.id_number,
                                    birth=person.birth_date + timedelta(days=1)) is None


def test_pools_never_exceed_the_day_capacity(db: Session) -> None:
    s = scene(db)
    day = s.today + timedelta(days=3)
    service.open_slots(db, site_id=s.site.id, day=day, dose_number=1, capacity=1000)
    with pytest.raises(ValidationFailedError, match="can give 1,200 doses") as caught:
        service.open_slots(db, site_id=s.site.id, day=day, dose_number=2, capacity=201)
    assert caught.value.extra["field"] == "capacity"
    service.open_slots(db, site_id=s.site.id, day=day, dose_number=2, capacity=200)


def test_a_merge_moves_the_doses_and_numbers_them_in_the_order_given(db: Session) -> None:
    from epidesk.kit import clock
    from epidesk.people.merging.service import merge_people

    s = scene(db)
    survivor, merged = s.city.residents["chen_jing"].id, s.city.residents["chen_jie"].id
    early = clock.now() - timedelta(days=60)
    service.record_dose(db, resident_id=merged, site_id=s.site.id, product="coronavac",
                        lot=LOT, vaccinator="Dr Liu", actor="test", given_at=early)
    service.record_dose(db, resident_id=survivor, site_id=s.site.id, product="coronavac",
                        lot=LOT, vaccinator="Dr Liu", actor="test")
    service.set_reminders(db, resident_id=merged, opted_in=True, actor="test")
    done = merge_people(db, survivor_id=survivor, merged_id=merged, reason="one person",
                        actor="test")
    assert any(line.startswith("vaccination: 1 doses") for line in done.outcome)
    doses = repository.doses_of(db, survivor)
    assert [(d.dose_number, d.day) for d in doses] == [
        (1, clock.local_day(early)), (2, s.today)]
    assert repository.doses_of(db, merged) == []
    assert repository.consent(db, survivor).opted_in  # type: ignore[union-attr]


def test_a_dose_gets_its_certificate_when_a_signer_key_exists(db: Session) -> None:
    from epidesk.certificates import service as certificates

    s = scene(db)
    without = service.record_dose(db, resident_id=s.city.residents["li_na"].id,
                                  site_id=s.site.id, product="coronavac", lot=LOT,
                                  vaccinator="Dr Liu", actor="vaccinator")
    assert without.certificate_id is None and "signer key" in (without.certificate_problem or "")
    assert without.dose.id  # the dose stands
    certificates.generate_key(db, actor="test")
    person = s.city.residents["zhang_min"].id
    given = service.record_dose(db, resident_id=person, site_id=s.site.id,
                                product="coronavac", lot=LOT, vaccinator="Dr Liu",
                                actor="vaccinator")
    assert given.certificate_id is not None and given.certificate_problem is None
    issued = certificates.certificate(db, certificate_id=given.certificate_id)
    assert issued.resident_id == person and issued.kind == "vaccination"
    verified = certificates.verify_here(db, text=issued.text)
    assert verified.valid, verified.reason
