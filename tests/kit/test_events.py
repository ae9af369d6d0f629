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


def _after_commit_domains(monkeypatch: pytest.MonkeyPatch,
                          seen: list[tuple[str, Session, Mapping[str, object]]],
                          fail: bool = False) -> None:
    """alpha follows `lab` in the writer's transaction; beta may follow after the commit
    (it moves its cursor, in whichever session it is given)."""
    def follower(name: str):  # type: ignore[no-untyped-def]
        def follow_lab(session: Session, **context: object) -> dict[str, int]:
            seen.append((name, session, context))
            events.advance(session, events.cursor_name(name, "lab"), 5)
            if fail and name == "beta":
                raise RuntimeError("beta broke")
            return {"made": 1}
        return SimpleNamespace(follow_lab=follow_lab)

    modules = {"epidesk.alpha.service": follower("alpha"),
               "epidesk.beta.service": follower("beta")}
    monkeypatch.setattr(domains, "DOMAINS", (
        domains.Domain("lab"), domains.Domain("alpha", follows=("lab",)),
        domains.Domain("beta", follows=("lab",), after_commit=("lab",))))
    monkeypatch.setattr(events, "DOMAINS", domains.DOMAINS)
    monkeypatch.setattr(events.importlib, "import_module", modules.__getitem__)


def test_a_deferred_follower_runs_after_the_commit_in_its_own_transaction(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, Session, Mapping[str, object]]] = []
    _after_commit_domains(monkeypatch, seen)
    assert events.follow(db, "lab", deferred=True, actor="ann") == {"made": 1}
    assert [(name, session) for name, session, _ in seen] == [("alpha", db)]
    assert events.waiting(db) == [("beta", "lab")]
    db.commit()
    assert [name for name, _, _ in seen] == ["alpha", "beta"]
    assert seen[1][1] is not db and seen[1][2] == {"actor": "ann"}
    assert events.waiting(db) == []
    assert events.position(db, "beta:lab") == 5  # committed by its own transaction
    # Without deferral both follow at once, in the writer's transaction.
    seen.clear()
    assert events.follow(db, "lab", actor="bo") == {"made": 2}
    assert [(name, session) for name, session, _ in seen] == [("alpha", db), ("beta", db)]


def test_a_rollback_drops_the_deferred_follows_and_a_savepoint_keeps_them(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, Session, Mapping[str, object]]] = []
    _after_commit_domains(monkeypatch, seen)
    events.follow(db, "lab", deferred=True, actor="ann")
    with db.begin_nested():  # a savepoint released is no commit of the transaction
        events.advance(db, "other:lab", 1)
    with pytest.raises(RuntimeError), db.begin_nested():
        raise RuntimeError("a savepoint rolled back leaves the transaction going")
    assert events.waiting(db) == [("beta", "lab")]
    db.rollback()
    assert events.waiting(db) == []
    db.commit()
    assert [name for name, _, _ in seen] == ["alpha"]
    assert events.position(db, "beta:lab") == 0


def test_a_failed_deferred_follow_leaves_the_commit_whole_and_is_logged(
        db: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, Session, Mapping[str, object]]] = []
    _after_commit_domains(monkeypatch, seen, fail=True)
    events.follow(db, "lab", deferred=True, actor="ann")
    with caplog.at_level("ERROR", logger="epidesk.kit.events"):
        db.commit()
    assert "beta could not follow lab after the commit" in caplog.text
    assert events.position(db, "alpha:lab") == 5  # the writer's transaction stands
    assert events.position(db, "beta:lab") == 0  # beta's own was rolled back


def test_what_is_settled_with_a_transaction_comes_once_after_its_commit_before_the_follows(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, Session, Mapping[str, object]]] = []
    _after_commit_domains(monkeypatch, seen)
    settled: list[tuple[str, list[str]]] = []
    events.follow(db, "lab", deferred=True, actor="ann")
    for name in ("first", "second"):
        events.commit_with(db, lambda name=name: settled.append(  # type: ignore[misc]
            (name, [follower for follower, _, _ in seen])))
    with db.begin_nested():  # a savepoint released settles nothing
        events.advance(db, "other:lab", 1)
    assert settled == []
    db.commit()
    # In the order given, before the follower deferred to the commit.
    assert settled == [("first", ["alpha"]), ("second", ["alpha"])]
    assert [name for name, _, _ in seen] == ["alpha", "beta"]
    db.commit()
    assert len(settled) == 2


def test_a_transaction_rolled_back_or_closed_settles_too_and_a_failure_is_logged(
        db: Session, caplog: pytest.LogCaptureFixture) -> None:
    settled: list[str] = []

    def broken() -> None:
        raise RuntimeError("the other connection is gone")

    db.connection()  # the transaction has begun
    events.commit_with(db, broken)
    events.commit_with(db, lambda: settled.append("rolled back"))
    with caplog.at_level("ERROR", logger="epidesk.kit.events"):
        db.rollback()
    assert settled == ["rolled back"]
    assert "could not be" in caplog.text
    with Session(bind=db.connection(), join_transaction_mode="create_savepoint") as session:
        session.connection()
        events.commit_with(session, lambda: settled.append("closed"))
    assert settled == ["rolled back", "closed"]
