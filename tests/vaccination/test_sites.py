"""Sites, stock movements and the site-list import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.vaccination.models import Site, SiteHours, SiteList
from epidesk.vaccination.sites import service
from epidesk.vaccination.sites.engine import write_sites_csv
from tests.factories import tiny_city
from tests.vaccination.scene import LOT, scene


def _row(code: str, district: str, **cells: str) -> dict[str, str]:
    row = {"code": code, "name": f"site {code}", "district": district, "address": "1 Road",
           "stations": "3", "doses_per_station_hour": "25", "mon": "08:00-17:00",
           "tue": "08:00-17:00", "wed": "", "thu": "08:00-12:30", "fri": "08:00-17:00",
           "sat": "", "sun": ""}
    row.update(cells)
    return row


def test_a_site_list_is_accepted_whole_and_once(db: Session) -> None:
    city = tiny_city(db)
    district = city.districts[0].code
    content = write_sites_csv([_row("A1", district), _row("A2", city.districts[1].code)])
    done = service.import_sites(db, content=content, filename="sites.csv", received_by="test")
    assert done.accepted and done.record.created == 2
    site = db.scalar(select(Site).where(Site.code == "A1"))
    assert site is not None and site.stations == 3 and site.district_id == city.districts[0].id
    assert {h.weekday: (h.opens, h.closes) for h in site.hours} == {
        0: (480, 1020), 1: (480, 1020), 3: (480, 750), 4: (480, 1020)}
    again = service.import_sites(db, content=content, filename="sites.csv", received_by="test")
    assert again.already_imported and db.scalar(select(func.count()).select_from(Site)) == 2
    # A later list updates a known site and replaces its hours.
    later = write_sites_csv([_row("A1", district, stations="6", mon="", tue="", thu="",
                                  fri="", sun="09:00-15:00")])
    update = service.import_sites(db, content=later, filename="later.csv", received_by="test")
    assert update.accepted and (update.record.created, update.record.updated) == (0, 1)
    db.refresh(site)
    assert site.stations == 6 and [(h.weekday, h.opens) for h in site.hours] == [(6, 540)]


def test_a_bad_site_list_is_rejected_whole_with_its_report(db: Session) -> None:
    city = tiny_city(db)
    district = city.districts[0].code
    content = write_sites_csv([
        _row("B1", district), _row("B2", "NOWHERE"), _row("B3", district, stations="0"),
        _row("B4", district, mon="17:00-08:00"), _row("B1", district)])
    done = service.import_sites(db, content=content, filename="bad.csv", received_by="test")
    assert not done.accepted
    assert dict(done.report.counts) == {"bad_number": 1, "bad_hours": 1,
                                        "unknown_district": 1, "duplicate_code": 1}
    assert [(p.line, p.column) for p in done.report.problems] == [
        (3, "district"), (4, "stations"), (5, "mon"), (6, "code")]
    assert db.scalar(select(func.count()).select_from(Site)) == 0
    assert db.scalar(select(func.count()).select_from(SiteHours)) == 0
    assert db.scalar(select(SiteList.status)) == "rejected"
    missing = service.import_sites(db, content=b"code,name\nX,Y\n", filename="short.csv",
                                   received_by="test")
    assert not missing.accepted and "missing_column" in missing.report.counts


def test_stock_moves_by_lot_with_reasons(db: Session) -> None:
    s = scene(db, pools=False)
    other = service.create_site(db, code="T-SITE-2", name="Second", address="2 Road",
                                district_id=s.city.districts[0].id, stations=2,
                                doses_per_station_hour=20, hours={0: (480, 720)})
    with pytest.raises(ConflictError):
        service.create_site(db, code="T-SITE-2", name="Again", address="", stations=1,
                            district_id=s.city.districts[0].id, doses_per_station_hour=1,
                            hours={})
    service.transfer(db, site_id=s.site.id, to_site_id=other.id, product="coronavac", lot=LOT,
                     doses=30, actor="test")
    with pytest.raises(ValidationFailedError, match="needs its reason"):
        service.adjust(db, site_id=other.id, product="coronavac", lot=LOT, doses=-2, reason=" ",
                       actor="test")
    service.adjust(db, site_id=other.id, product="coronavac", lot=LOT, doses=-2,
                   reason="vial broken", actor="test")
    with pytest.raises(ValidationFailedError, match="holds 28 doses") as caught:
        service.transfer(db, site_id=other.id, to_site_id=s.site.id, product="coronavac",
                         lot=LOT, doses=29, actor="test")
    assert caught.value.extra["field"] == "doses"
    with pytest.raises(ValidationFailedError, match="was recorded with expiry"):
        service.receive(db, site_id=other.id, product="coronavac", lot=LOT,
                        expiry=s.today + timedelta(days=3), doses=5, actor="test")
    held = {x.site_id: x.doses for x in service.stock(db, [s.site.id, other.id])}
    assert held == {s.site.id: 70, other.id: 28}
