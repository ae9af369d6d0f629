"""Event cursors: a follower's position only moves forward, and follow runs followers."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from epidesk.kit import domains, events


def test_a_cursor_starts_at_zero_and_only_moves_forward(db: Session) -> None:
    name = events.cursor_name("zoning", "cases")
    assert name == "zoning:cases"
    assert events.position(db, name) == 0
    events.advance(db, name, 41)
    assert events.position(db, name) == 41
    events.advance(db, name, 7)
    assert events.position(db, name) == 41
    events.advance(db, name, 42)
    assert events.position(db, name) == 42
    assert events.position(db, "quarantine:cases") == 0


def test_follow_calls_each_follower_of_the_topic_and_sums_their_counts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Mapping[str, object]]] = []

    def follower(name: str, counts: dict[str, int]):  # type: ignore[no-untyped-def]
        def follow_lab(session: object, **context: object) -> dict[str, int]:
            calls.append((name, context))
            return counts
        return SimpleNamespace(follow_lab=follow_lab)

    modules = {"epidesk.alpha.service": follower("alpha", {"made": 2}),
               "epidesk.beta.service": follower("beta", {"made": 3, "linked": 1})}
    monkeypatch.setattr(domains, "DOMAINS", (
        domains.Domain("lab"), domains.Domain("alpha", follows=("lab",)),
        domains.Domain("gamma", follows=("other",)), domains.Domain("beta", follows=("lab",))))
    monkeypatch.setattr(events, "DOMAINS", domains.DOMAINS)
    monkeypatch.setattr(events.importlib, "import_module", modules.__getitem__)
    totals = events.follow(object(), "lab", actor="ann")  # type: ignore[arg-type]
    assert totals == {"made": 5, "linked": 1}
    assert calls == [("alpha", {"actor": "ann"}), ("beta", {"actor": "ann"})]
