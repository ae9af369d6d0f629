"""Pages in Chinese and English: the reader's choice, the browser's language, the switch
on every page; keys never shown as text; the staff menu only for signed-in users."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import i18n
from epidesk.people.models import Venue
from epidesk.tracing.runs import service as runs_service
from tests.tracing.helpers import NOW, Scene, preset, scene

HTML = {"Accept": "text/html"}


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes, scripts or code references."""
    html = re.sub(r"<(script|style|code)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_a_browser_without_a_language_reads_chinese(anon_client: TestClient):
    html = anon_client.get("/", headers={**HTML, "Accept-Language": ""}).text
    assert '<html lang="zh-Hans">' in html
    assert "本市疫情应对" in html and "Outbreak response for our city" not in html


def test_the_browser_language_is_followed(anon_client: TestClient):
    english = anon_client.get("/", headers={**HTML, "Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="en">' in english and "Outbreak response for our city" in english
    chinese = anon_client.get("/signin", headers={**HTML, "Accept-Language": "zh-CN,zh"}).text
    assert '<html lang="zh-Hans">' in chinese and "<h1>登录</h1>" in chinese


def test_the_switch_sets_a_cookie_and_returns_to_the_page(anon_client: TestClient):
    page = anon_client.get("/policy", headers=HTML).text
    assert 'href="/language?to=zh&amp;next=%2Fpolicy"' in page
    r = anon_client.get("/language", params={"to": "zh", "next": "/policy?x=1"})
    assert r.status_code == 303 and r.headers["location"] == "/policy?x=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{i18n.COOKIE}=zh") and "HttpOnly" in cookie
    # The choice wins over the browser's language.
    html = anon_client.get("/policy", headers=HTML).text
    assert '<html lang="zh-Hans">' in html and "防控方案预案" in html
    assert '<strong lang="zh" aria-current="true">中文</strong>' in html
    anon_client.get("/language", params={"to": "en", "next": "/policy"})
    assert '<html lang="en">' in anon_client.get("/policy", headers=HTML).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_the_switch_never_leaves_the_site(anon_client: TestClient, target: str):
    r = anon_client.get("/language", params={"to": "en", "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_an_unknown_language_is_refused_and_changes_nothing(anon_client: TestClient):
    r = anon_client.get("/language", params={"to": "klingon", "next": "/"})
    assert r.status_code == 422 and r.json()["detail"].startswith("to:")
    assert "set-cookie" not in r.headers
    missing = anon_client.get("/language")
    assert missing.status_code == 422 and "to" in missing.text


def test_error_pages_speak_the_readers_language(anon_client: TestClient):
    r = anon_client.get("/no-such-page", headers={**HTML, "Accept-Language": "zh"})
    assert r.status_code == 404 and "<h1>未找到</h1>" in r.text


def test_the_staff_menu_shows_only_to_a_signed_in_user(anon_client: TestClient,
                                                        client: TestClient):
    for path in ("/signin", "/policy"):
        html = anon_client.get(path, headers={**HTML, "Authorization": ""}).text
        assert 'href="/people"' not in html and 'href="/overview"' not in html
        assert 'href="/signin"' in html
    signed_in = client.get("/people", headers=HTML).text
    assert 'href="/overview"' in signed_in and 'href="/tracing"' in signed_in


KEYS = ("bus_station", "work_group", "school_class", "sub_close", "zoning_officer",
        "home_health_monitoring", "pool_positive", "via_close_contact")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_keys_never_show_as_text(db: Session, client: TestClient, language: str):
    s: Scene = scene(db)
    db.add(Venue(name="North Bus Station", kind="bus_station",
                 community_id=s.city.residents["li_na"].community_id, lat=35.4, lon=119.5,
                 enclosed=True))
    db.flush()
    runs_service.run_tracing(db, actor="investigator", preset=preset(), now=NOW)
    headers = {**HTML, "Accept-Language": language}
    pages = [f"/places/communities/{s.city.residents['li_na'].community_id}",
             f"/tracing/cases/{s.case.id}", f"/tracing/contacts/{s.id('li_na')}",
             f"/tracing/contacts/{s.id('li_qiang')}", f"/tracing/contacts/{s.id('li_na')}/letter",
             "/tracing/follow-up", f"/people/{s.id('li_na')}"]
    seen = ""
    for path in pages:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, path
        seen += visible_text(r.text)
    for key in KEYS:
        assert key not in seen, key
    assert ("bus station" if language == "en" else "汽车站") in seen
    assert ("work group" if language == "en" else "工作小组") in seen


def test_roles_read_as_words_on_the_account_page(anon_client: TestClient, bearer):  # type: ignore[no-untyped-def]
    headers = {**HTML, **bearer("zed", ["zoning_officer"], "city", None)}
    english = visible_text(anon_client.get("/account", headers=headers).text)
    assert "zoning officer" in english and "zoning_officer" not in english
    chinese = anon_client.get("/account", headers={**headers, "Accept-Language": "zh"}).text
    assert "风险区划定专员" in chinese and "全市" in chinese
