"""The outbound queue: routing by what is known of the resident, the dispatcher with the
file adapter, retries then print, the call list and printed notices."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.messages import rules, service
from epidesk.messages.dispatch import service as dispatcher
from tests.factories import tiny_city

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_routing_rules() -> None:
    today = date(2026, 11, 20)
    assert rules.route(phone=None, birth_date=date(1990, 1, 1), today=today).channel == "print"
    assert rules.route(phone="138", birth_date=date(1990, 1, 1), today=today).channel == "sms"
    assert rules.route(phone="138", birth_date=date(1950, 1, 1), today=today).channel == "voice"
    assert rules.route(phone="138", birth_date=None, today=today, wants_voice=True
                       ).channel == "voice"
    assert rules.after_sms_failure(1, T0) == ("sms", T0 + timedelta(minutes=5))
    assert rules.after_sms_failure(4, T0) == ("print", None)
    assert rules.after_call("no_answer", 1) == ("queued", "voice")
    assert rules.after_call("no_answer", 3) == ("queued", "print")
    assert rules.after_call("wrong_number", 1) == ("queued", "print")


class Broken:
    def send(self, *, to: str, text: str, reference: str) -> None:
        raise dispatcher.SendFailed("provider answered 503")


def _queue(db: Session, resident_id: int, reference: str) -> object:
    return service.enqueue(db, topic="test.notice", reference=reference, body="测试通知",
                           language="zh", actor="test", resident_id=resident_id)


def test_the_file_adapter_sends_once_and_failures_retry_then_print(db: Session,
                                                                   tmp_path: Path) -> None:
    city = tiny_city(db)
    with_phone = next(r for r in city.residents.values()
                      if r.phone and (T0.year - r.birth_date.year) < 60)
    first = _queue(db, with_phone.id, "a")
    counts = dispatcher.dispatch(db, adapter=dispatcher.FileAdapter(tmp_path), at=T0)
    assert counts["sent"] == 1 and first.state == "sent" and first.channel == "sms"  # type: ignore[attr-defined]
    lines = [json.loads(x) for f in tmp_path.iterdir() for x in f.read_text().splitlines()]
    assert lines == [{"to": with_phone.phone, "text": "测试通知",
                      "reference": "test.notice:a", "at": lines[0]["at"]}]
    assert dispatcher.dispatch(db, adapter=dispatcher.FileAdapter(tmp_path), at=T0)["sent"] == 0
    second = _queue(db, with_phone.id, "b")
    moment = T0
    for attempt in range(1, 5):
        dispatcher.dispatch(db, adapter=Broken(), at=moment)
        assert second.attempts == attempt  # type: ignore[attr-defined]
        moment += timedelta(hours=3)
    assert second.channel == "print" and second.state == "queued"  # type: ignore[attr-defined]
    assert second.last_error == "provider answered 503"  # type: ignore[attr-defined]


def test_calls_and_notices_are_worked_in_the_callers_area(db: Session, client: TestClient
                                                         ) -> None:
    city = tiny_city(db)
    resident = city.residents["wang_xiulan"]
    resident.phone, resident.birth_date = "13600000009", date(1940, 5, 1)
    called = _queue(db, resident.id, "call")
    resident_b = next(r for r in city.residents.values() if r.id != resident.id)
    resident_b.phone = None
    printed = _queue(db, resident_b.id, "print")
    service.route_queued(db, today=date(2026, 11, 20))
    assert called.channel == "voice" and printed.channel == "print"  # type: ignore[attr-defined]
    calls = client.get("/api/messages/calls").json()
    assert [c["recipient"] for c in calls] == ["13600000009"] and calls[0]["name"] == "王秀兰"
    answer = client.post(f"/api/messages/{called.id}/call",  # type: ignore[attr-defined]
                         json={"result": "no_answer"})
    assert answer.json() == {"id": called.id, "state": "queued", "channel": "voice",  # type: ignore[attr-defined]
                             "attempts": 1}
    bad = client.post(f"/api/messages/{called.id}/call", json={"result": "maybe"})  # type: ignore[attr-defined]
    assert bad.status_code == 422 and "result" in bad.text
    page = client.get("/messages/notices")
    assert page.status_code == 200 and "测试通知" in page.text
    done = client.post(f"/api/messages/{printed.id}/delivered")  # type: ignore[attr-defined]
    assert done.json()["state"] == "delivered"
    again = client.post(f"/api/messages/{printed.id}/delivered")  # type: ignore[attr-defined]
    assert again.status_code == 422
