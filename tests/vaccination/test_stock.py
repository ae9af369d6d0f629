"""A site's vaccine stock is its depot's: receipts through the depots' import lifecycle,
doses issued first-expired-first-out, transfers between depots, and campaign feasibility
reading the same log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.supplies.depots import repository as depot_store
from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import Depot, StockMovement, StockReceipt
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.campaigns import service as campaigns
from epidesk.vaccination.campaigns.service import InfeasibleTargetError
from epidesk.vaccination.models import Campaign
from epidesk.vaccination.sites import service as sites
from tests.vaccination.scene import LOT, scene
from tests.vaccination.test_campaigns import _residents

ITEM = "vaccine:coronavac"


def _on_hand(db: Session, depot_id: int, lot: str) -> int:
    found = depot_store.lot(db, depot_id, ITEM, lot)
    return found.on_hand if found is not None else 0


def test_a_site_is_a_depot_and_its_receipt_an_imported_file(db: Session) -> None:
    s = scene(db, pools=False)
    depot = db.get(Depot, s.site.depot_id)
    assert depot is not None
    assert (depot.code, depot.kind) == (s.site.code, "vaccination_site")
    receipt = db.scalars(select(StockReceipt)).one()
    assert receipt.status == "accepted" and receipt.lines == 1
    log = db.scalars(select(StockMovement).where(StockMovement.depot_id == depot.id)).all()
    assert [(m.kind, m.item, m.lot, m.quantity, m.receipt_id) for m in log] == [
        ("receipt", ITEM, LOT, 100, receipt.id)]
    # A receipt that would be refused by the depots' import changes nothing.
    with pytest.raises(ValidationFailedError) as caught:
        sites.receive(db, site_id=s.site.id, product="coronavac", lot="OLD",
                      expiry=s.today - timedelta(days=1), doses=10, actor="test")
    assert caught.value.extra["field"] == "expiry"
    assert db.scalar(select(func.count()).select_from(StockReceipt)) == 1
    assert sites.stock(db, [s.site.id])[0].doses == 100


def test_a_dose_given_issues_one_dose_of_the_lot_expiring_first(db: Session) -> None:
    s = scene(db, pools=False)
    depot = s.site.depot_id
    sites.receive(db, site_id=s.site.id, product="coronavac", lot="SOONER",
                  expiry=s.today + timedelta(days=30), doses=5, actor="test")
    person = s.city.residents["chen_jing"].id
    given = booking.record_dose(db, resident_id=person, site_id=s.site.id,
                                product="coronavac", lot=None, vaccinator="Dr Liu",
                                actor="vaccinator")
    assert given.dose.lot == "SOONER"
    assert (_on_hand(db, depot, "SOONER"), _on_hand(db, depot, LOT)) == (4, 100)
    issued = db.scalars(select(StockMovement).where(StockMovement.depot_id == depot,
                                                    StockMovement.kind == "issue")).one()
    assert (issued.item, issued.lot, issued.quantity) == (ITEM, "SOONER", -1)
    # A named lot is used as named.
    other = s.city.residents["li_na"].id
    named = booking.record_dose(db, resident_id=other, site_id=s.site.id,
                                product="coronavac", lot=LOT, vaccinator="Dr Liu",
                                actor="vaccinator")
    assert named.dose.lot == LOT
    assert (_on_hand(db, depot, "SOONER"), _on_hand(db, depot, LOT)) == (4, 99)
    assert [x.doses for x in sites.stock(db, [s.site.id])] == [4, 99]


def test_an_expired_lot_is_never_used(db: Session) -> None:
    s = scene(db, pools=False)
    depot = s.site.depot_id
    # A lot counted at the depot that expired yesterday, and would be first otherwise.
    depots.adjust(db, depot_id=depot, item=ITEM, lot="EXPIRED", change=50,
                  reason="count at the site", actor="test",
                  expires_on=s.today - timedelta(days=1))
    person = s.city.residents["chen_jing"].id
    with pytest.raises(ValidationFailedError, match="expired on") as caught:
        booking.record_dose(db, resident_id=person, site_id=s.site.id, product="coronavac",
                            lot="EXPIRED", vaccinator="Dr Liu", actor="vaccinator")
    assert caught.value.extra["field"] == "lot"
    given = booking.record_dose(db, resident_id=person, site_id=s.site.id,
                                product="coronavac", lot=None, vaccinator="Dr Liu",
                                actor="vaccinator")
    assert given.dose.lot == LOT
    assert (_on_hand(db, depot, "EXPIRED"), _on_hand(db, depot, LOT)) == (50, 99)
    # With only the expired lot left, no dose can be given.
    sites.adjust(db, site_id=s.site.id, product="coronavac", lot=LOT, doses=-99,
                 reason="cold-chain failure", actor="test")
    other = s.city.residents["li_na"].id
    with pytest.raises(ValidationFailedError, match="no unexpired dose") as refused:
        booking.record_dose(db, resident_id=other, site_id=s.site.id, product="coronavac",
                            lot=None, vaccinator="Dr Liu", actor="vaccinator")
    assert refused.value.extra["field"] == "lot"
    assert _on_hand(db, depot, "EXPIRED") == 50
    # Feasibility counts no expired dose either.
    assert sum(x.stock for x in campaigns.site_inputs(db, s.city.districts[0].id, s.today,
                                                      s.today)) == 0


def test_a_transfer_between_sites_is_a_depot_transfer(db: Session) -> None:
    s = scene(db, pools=False)
    other = sites.create_site(db, code="T-SITE-9", name="Ninth", address="9 Road",
                              district_id=s.city.districts[0].id, stations=1,
                              doses_per_station_hour=10, hours={0: (480, 720)})
    sites.transfer(db, site_id=s.site.id, to_site_id=other.id, product="coronavac", lot=LOT,
                   doses=30, actor="test")
    moved = db.scalars(select(StockMovement).where(StockMovement.kind == "transfer")
                       .order_by(StockMovement.id)).all()
    assert [(m.depot_id, m.quantity) for m in moved] == [(s.site.depot_id, -30),
                                                         (other.depot_id, 30)]
    arrived = depot_store.lot(db, other.depot_id, ITEM, LOT)
    assert arrived is not None and arrived.expires_on == s.today + timedelta(days=365)
    # Vaccination-site depots are never picked for households' delivery batches, nor
    # alerted for protective equipment they do not keep.
    alerts = depots.shortages(db, day=s.today)
    assert not [a for a in alerts if a.depot_id in (s.site.depot_id, other.depot_id)
                and a.item in ("masks", "gloves")]


def test_feasibility_refuses_short_stock_naming_the_shortfall(db: Session) -> None:
    s = scene(db, pools=False)
    district = s.city.districts[0].id
    household = s.city.households["wang"]
    _residents(db, household.id, household.community_id, 2_000)
    first = s.today + timedelta(days=1)
    for n in range(4):
        sites.add_shift(db, site_id=s.site.id, day=first, starts=480, ends=1080,
                        staff_name=f"v{n}", actor="test")
    with pytest.raises(InfeasibleTargetError) as caught:
        campaigns.accept(db, name="short of vaccine", district_id=district, first_day=first,
                         last_day=first, target=1_000, dose_number=1, actor="planner")
    check = caught.value.problem()["assessment"]
    assert (check["capacity"], check["stock"]) == (1_200, 100)
    assert check["limits"] == ["stock"] and check["shortfall"] == 900
    assert "900 short (stock)" in caught.value.detail
    more = next(x for x in check["suggestions"] if x["kind"] == "more_stock")
    assert more["extra_doses"] == 900
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0
    # A receipt file at the depots (the site's depot code, the vaccine item) closes it.
    done = depots.import_receipts(
        db, content=(f"depot,item,lot,expires_on,quantity\n{s.site.code},{ITEM},L2,"
                     f"{(s.today + timedelta(days=90)).isoformat()},900\n").encode(),
        filename="delivery.csv", received_by="store")
    assert done.accepted
    campaign, found = campaigns.accept(db, name="now stocked", district_id=district,
                                       first_day=first, last_day=first, target=1_000,
                                       dose_number=1, actor="planner")
    assert found.feasible and found.stock == 1_000 and campaign.id


def test_a_vaccine_receipt_without_expiry_is_refused_by_the_depots(db: Session) -> None:
    s = scene(db, pools=False)
    done = depots.import_receipts(
        db, content=f"depot,item,lot,expires_on,quantity\n{s.site.code},{ITEM},L3,,10\n"
        .encode(), filename="undated.csv", received_by="store")
    assert not done.accepted
    assert done.report.counts == {"bad_date": 1}
    assert _on_hand(db, s.site.depot_id, "L3") == 0


def test_the_api_gives_a_dose_from_the_lot_expiring_first_and_shows_the_depot(
        db: Session, client: TestClient) -> None:
    s = scene(db)
    sooner = (s.today + timedelta(days=20)).isoformat()
    receipt = client.post(f"/api/vaccination/sites/{s.site.id}/stock",
                          json={"kind": "receipt", "product": "coronavac", "lot": "SOON",
                                "doses": 3, "expiry": sooner})
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["depot_code"] == s.site.code
    assert [(x["lot"], x["doses"]) for x in receipt.json()["stock"]] == [("SOON", 3),
                                                                          (LOT, 100)]
    stale = client.post(f"/api/vaccination/sites/{s.site.id}/stock",
                        json={"kind": "receipt", "product": "coronavac", "lot": "STALE",
                              "doses": 3, "expiry": (s.today - timedelta(days=1)).isoformat()})
    assert stale.status_code == 422 and stale.json()["field"] == "expiry"
    person = s.city.residents["zhang_min"].id
    dose = client.post(f"/api/vaccination/residents/{person}/doses",
                       json={"site_id": s.site.id, "product": "coronavac",
                             "vaccinator": "Dr Liu"})
    assert dose.status_code == 201, dose.text
    assert dose.json()["dose"]["lot"] == "SOON"
    site = client.get(f"/api/vaccination/sites/{s.site.id}").json()
    assert [(x["lot"], x["doses"]) for x in site["stock"]] == [("SOON", 2), (LOT, 100)]
    assert db.scalar(select(func.count()).select_from(StockReceipt)) == 2
