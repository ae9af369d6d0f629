"""People pages: search results, resident, household, community map, building."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import tiny_city

HTML = {"Accept": "text/html"}


def get(client: TestClient, url: str, status: int = 200, **params: object) -> str:
    r = client.get(url, params=params, headers=HTML)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def test_search_form_without_query(client: TestClient):
    html = get(client, "/people")
    assert '<form class="search" method="get" action="/people"' in html
    assert 'name="q"' in html
    assert "Results" not in html


def test_search_results_list_name_sex_age_community_flags(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, "/people", q="wang xiu")
    xiulan = t.residents["wang_xiulan"]
    assert f'href="/people/{xiulan.id}"' in html
    assert "王秀兰" in html and "Wang Xiulan" in html
    assert "王秀英" in html
    assert "female" in html
    assert ">38<" in html
    assert f'href="/places/communities/{xiulan.community_id}">Willow Court' in html
    assert 'data-flag="pregnant"' in html
    assert 'data-flag="elderly"' in html
    assert "王芳" not in html
    assert 'value="wang xiu"' in html


def test_search_pages_forward_and_back(client: TestClient, db: Session):
    tiny_city(db)
    # 25 results a page: add enough residents named Chen to need two pages.
    from epidesk.people.models import Resident

    template = next(r for r in db.query(Resident).all() if r.name_latin == "Chen Jing")
    for n in range(30):
        db.add(Resident(household_id=template.household_id, community_id=template.community_id,
                        id_number=f"37081119950707{n:04d}", name=f"陈{n:02d}",
                        name_latin=f"Chen X{n:02d}", name_search=f"chen x{n:02d}", sex="F",
                        birth_date=template.birth_date, phone=None, has_smartphone=True,
                        pregnant=False, disability=False, chronic_medication=False))
    db.flush()
    first = get(client, "/people", q="chen")
    assert "Showing 1\N{EN DASH}25 of more" in first
    assert 'href="/people?q=chen&amp;offset=25" rel="next"' in first
    assert 'rel="prev"' not in first
    second = get(client, "/people", q="chen", offset=25)
    assert "Showing 26\N{EN DASH}32" in second
    assert 'href="/people?q=chen&amp;offset=0" rel="prev"' in second
    assert 'rel="next"' not in second


def test_search_without_results(client: TestClient, db: Session):
    tiny_city(db)
    html = get(client, "/people", q="nobody")
    assert "No resident matches" in html


def test_search_with_bad_paging_is_an_error_page(client: TestClient):
    html = get(client, "/people", 422, q="wang", offset=5000)
    assert "<h1>Invalid input</h1>" in html
    assert "offset" in html


def test_resident_page(client: TestClient, db: Session):
    t = tiny_city(db)
    xiulan = t.residents["wang_xiulan"]
    html = get(client, f"/people/{xiulan.id}")
    assert xiulan.id_number in html
    assert "13900000002" in html
    assert f'href="/households/{xiulan.household_id}"' in html
    # household members, with links
    assert f'href="/people/{t.residents["wang_xiuying"].id}"' in html
    # the address path links up the tree
    assert '<a href="/places">Tinyville</a>' in html
    assert f'<a href="/places/districts/{t.districts[0].id}">Rencheng</a>' in html
    assert f'<a href="/places/subdistricts/{t.subdistricts[0].id}">Gulou</a>' in html
    assert f'<a href="/places/communities/{t.communities[0].id}">Willow Court</a>' in html
    assert f'<a href="/places/buildings/{t.buildings[0].id}">Building 1</a>' in html
    assert "Dyeing shift A" in html
    assert "suitable for home quarantine" in html


def test_resident_page_shows_the_household_history(client: TestClient, db: Session):
    from datetime import date

    from epidesk.people import service

    t = tiny_city(db)
    zhao, pine = t.residents["zhao_lei"], t.households["pine"]
    service.move_resident(db, resident_id=zhao.id, household_id=pine.id,
                          moved_on=date(2020, 1, 1), today=date(2026, 11, 22))
    html = get(client, f"/people/{zhao.id}")
    assert 'id="stays">Household history' in html
    history = html.split('id="stays"')[1].split("</table>")[0]
    assert history.index(f'href="/households/{pine.id}"') < history.index(
        f'href="/households/{t.households["alone"].id}"')
    assert "<td>2020-01-01</td><td>now</td>" in history
    assert "<td>1940-01-01</td><td>2019-12-31</td>" in history
    assert "Pine Court" in history


def test_household_page(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/households/{t.households['alone'].id}")
    assert "Household at flat 202" in html
    assert "赵磊" in html
    assert "not suitable for home quarantine" in html
    for flag in ["lives_alone", "elderly", "chronic_medication", "no_smartphone"]:
        assert f'data-flag="{flag}"' in html
    assert 'aria-label="Breadcrumb"' in html


def test_community_page_draws_its_map(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/places/communities/{t.communities[0].id}")
    assert "<svg" in html
    assert 'class="outline"' in html
    assert html.count('class="building"') == 2
    for b in t.buildings[:2]:
        assert f'<a href="/places/buildings/{b.id}" aria-label="Building {b.number}">' in html
    points = re.findall(r'points="([^"]+)"', html)
    for ring in points:
        for pair in ring.split():
            x, y = (float(v) for v in pair.split(","))
            assert 0 <= x <= 640 and 0 <= y <= 480
    assert "Willow Market" in html
    assert "Tinyville Textile Mill" in html
    assert "Willow Primary School" in html


def test_community_without_buildings(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/places/communities/{t.communities[2].id}")
    assert "No buildings are recorded" in html


def test_building_page(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/places/buildings/{t.buildings[0].id}")
    assert "Unit 1" in html and "Unit 2" in html
    assert f'href="/households/{t.households["wang"].id}"' in html
    assert "vacant" in html
    empty = get(client, f"/places/buildings/{t.buildings[1].id}")
    assert empty.count("vacant") == 8


def test_unknown_ids_show_an_error_page(client: TestClient, db: Session):
    tiny_city(db)
    for url, what in [("/people/999999", "resident"), ("/households/999999", "household"),
                      ("/places/communities/999999", "community"),
                      ("/places/buildings/999999", "building")]:
        html = get(client, url, 404)
        assert "<h1>Not found</h1>" in html
        assert f"{what} 999999 not found" in html
        assert 'role="alert"' in html


def test_pages_send_visitors_to_sign_in(anon_client: TestClient, db: Session):
    t = tiny_city(db)
    r = anon_client.get(f"/people/{t.residents['li_na'].id}", headers=HTML)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/signin?next=")
    r = anon_client.get("/people", params={"q": "li"}, headers=HTML)
    assert r.status_code == 303
