"""Why a person is a contact, grouped; the letter to the contact, in the resident's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import i18n
from epidesk.people.models import Resident
from epidesk.tracing import rules
from epidesk.tracing.contacts import service as contacts_service
from epidesk.tracing.runs import service as runs_service
from tests.tracing.helpers import NOW, Scene, preset, scene

HTML = {"Accept": "text/html"}


@pytest.fixture
def s(db: Session) -> Scene:
    found = scene(db)
    runs_service.run_tracing(db, actor="investigator", preset=preset(), now=NOW)
    return found


def test_why_groups_evidence_by_case_and_setting_strongest_first(db: Session, s: Scene):
    # Wang Xiuying lives with the case (close) and with other close contacts of it, which
    # also makes her a sub-close contact many times over: those derivations are collapsed.
    detail = contacts_service.contact_detail(db, resident_id=s.id("wang_xiuying"),
                                             preset=preset())
    sub_close = [v for v in detail.evidence if v.row.tier == rules.SUB_CLOSE]
    assert detail.tier == rules.CLOSE and sub_close
    grouped = detail.grouped
    assert grouped.collapsed == len(sub_close)
    assert [g.tier for g in grouped.groups] == [rules.CLOSE] * len(grouped.groups)
    assert grouped.groups[0].setting == rules.HOUSEHOLD
    assert grouped.groups[0].case_id == s.case.id
    assert sum(len(g.pieces) for g in grouped.groups) == len(detail.evidence) - len(sub_close)
    # A sub-close contact keeps its sub-close groups.
    sub = contacts_service.contact_detail(db, resident_id=s.id("li_qiang"), preset=preset())
    assert sub.grouped.collapsed == 0
    assert {g.tier for g in sub.grouped.groups} == {rules.SUB_CLOSE}


def test_the_strongest_setting_comes_first():
    from epidesk.tracing.contacts.rules import SETTING_STRENGTH

    order = sorted(rules.SETTINGS, key=SETTING_STRENGTH.__getitem__)
    assert order[0] == rules.HOUSEHOLD and order[-1] == rules.VENUE


def test_the_contact_page_lists_groups_and_says_what_it_left_out(client: TestClient, s: Scene):
    html = client.get(f"/tracing/contacts/{s.id('wang_xiuying')}", headers=HTML).text
    assert 'id="collapsed"' in html and "close contact already" in html
    groups = re.findall(r'<li class="group" data-setting="(\w+)" data-tier="(\w+)"', html)
    assert groups and groups[0] == ("household", "close")
    assert all(tier == "close" for _, tier in groups)
    api = client.get(f"/api/tracing/contacts/{s.id('wang_xiuying')}").json()
    assert api["collapsed_sub_close"] > 0 and api["groups"][0]["setting"] == "household"
    listed = {i for g in api["groups"] for i in g["evidence_ids"]}
    assert listed <= {e["id"] for e in api["evidence"]}


def letter_of(client: TestClient, s: Scene, key: str = "li_na", query: str = "") -> str:
    r = client.get(f"/tracing/contacts/{s.id(key)}/letter{query}", headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


def test_the_letter_is_chinese_by_default_printable_and_names_nobody(client: TestClient,
                                                                        s: Scene):
    html = letter_of(client, s)
    assert '<html lang="zh-Hans">' in html
    # Its own layout: no staff navigation, no language switch of the staff pages.
    assert 'class="main"' not in html and 'href="/overview"' not in html
    assert '<body class="document">' in html
    assert "您是一名核酸检测阳性人员的密切接触者。" in html
    assert "集中隔离" in html and "居家健康监测" in html
    # Li Na's last exposure is 2026-11-21: 7 days centralized, 3 days home monitoring.
    assert "2026年12月1日" in html and "2026年11月28日" in html
    assert "热线电话：12345" in html
    case = s.city.residents["wang_xiulan"]
    for secret in (case.name, case.name_latin, f"病例 {s.case.id}", f"case {s.case.id}"):
        assert secret not in html


def test_the_letter_in_english_on_request_or_for_an_english_reader(
        client: TestClient, db: Session, s: Scene):
    html = letter_of(client, s, query="?lang=en")
    assert '<html lang="en">' in html
    assert "You are a close contact of a person who has tested positive." in html
    assert "December 1, 2026" in html and "Hotline: 12345" in html
    resident = db.get(Resident, s.id("li_na"))
    assert resident is not None
    resident.language = "en"
    db.flush()
    assert "You are a close contact" in letter_of(client, s)
    assert "密切接触者" in letter_of(client, s, query="?lang=zh")


def test_a_sub_close_contact_reads_the_sub_close_sentence(client: TestClient, s: Scene):
    html = letter_of(client, s, key="li_qiang", query="?lang=en")
    assert "You are a sub-close contact" in html and "home quarantine" in html
    assert "Li Na" not in html


def test_an_unknown_letter_language_is_refused(client: TestClient, s: Scene):
    r = client.get(f"/tracing/contacts/{s.id('li_na')}/letter?lang=fr", headers=HTML)
    assert r.status_code == 422 and "lang" in r.text
    api = client.get(f"/tracing/contacts/{s.id('li_na')}/letter?lang=fr")
    assert api.status_code == 422 and api.json()["detail"].startswith("lang:")


def test_the_api_letter_has_stages_and_end_date(client: TestClient, s: Scene):
    letter = client.get(f"/api/tracing/contacts/{s.id('li_na')}/letter").json()
    assert letter["end_on"] == "2026-12-01"
    assert [st["place"] for st in letter["stages"]] == [
        "centralized quarantine", "home health monitoring"]
    assert letter["groups"] and letter["groups"][0]["reasons"]
    chinese = client.get(f"/api/tracing/contacts/{s.id('li_na')}/letter",
                         headers={"Accept-Language": "zh-CN"}).json()
    assert chinese["stages"][0]["place"] == "集中隔离"
    # The pages' language cookie does not change what the API answers.
    client.get("/language", params={"to": "zh", "next": "/"})
    again = client.get(f"/api/tracing/contacts/{s.id('li_na')}/letter").json()
    assert again["stages"][0]["place"] == "centralized quarantine"
    assert '<html lang="zh-Hans">' in client.get("/tracing", headers=HTML).text


def test_days_are_written_as_each_language_writes_them():
    with i18n.using("zh"):
        assert i18n.format_day(date(2026, 12, 1)) == "2026年12月1日"
    with i18n.using("en"):
        assert i18n.format_day(date(2026, 12, 1)) == "December 1, 2026"


def test_the_hotline_number_is_a_setting(client: TestClient, s: Scene,
                                         monkeypatch: pytest.MonkeyPatch):
    from epidesk.config import get_settings

    monkeypatch.setenv("EPIDESK_HOTLINE_NUMBER", "0531-12320")
    get_settings.cache_clear()
    try:
        html = letter_of(client, s, query="?lang=en")
        landing = client.get("/", headers={**HTML, "Accept-Language": "zh"}).text
    finally:
        get_settings.cache_clear()
    assert "Hotline: 0531-12320" in html and "12345" not in html
    assert "市民热线（0531-12320）" in landing
