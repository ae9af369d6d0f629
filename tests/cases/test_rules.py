"""Case rules on plain values: classification, re-positive linking, isolation, bulletin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from epidesk.cases import rules
from epidesk.cases.rules import EpisodeFacts

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 21)


def facts(id: int = 1, *, district: int = 1, imported: bool = False, status: str = "active",
          sampled: date = DAY, asymptomatic_on: date | None = DAY,
          confirmed_on: date | None = None, recorded_at: datetime = T0,
          reclassified_at: datetime | None = None,
          withdrawn_at: datetime | None = None) -> EpisodeFacts:
    return EpisodeFacts(id=id, district_id=district, imported=imported, status=status,
                        sampling_date=sampled, asymptomatic_on=asymptomatic_on,
                        confirmed_on=confirmed_on, recorded_at=recorded_at,
                        reclassified_at=reclassified_at, withdrawn_at=withdrawn_at)


def test_symptoms_make_a_confirmed_case():
    assert rules.classification_at_report(None) == "asymptomatic"
    assert rules.classification_at_report(DAY) == "confirmed"


def test_a_positive_inside_the_window_links_to_the_nearest_active_episode():
    episodes = [facts(1, sampled=DAY - timedelta(days=80)), facts(2, sampled=DAY),
                facts(3, sampled=DAY + timedelta(days=1), status="withdrawn")]
    assert rules.episode_to_link(episodes, DAY + timedelta(days=3), 90) == 2
    assert rules.episode_to_link(episodes, DAY + timedelta(days=90), 90) == 2
    assert rules.episode_to_link(episodes, DAY + timedelta(days=91), 90) is None
    assert rules.episode_to_link([facts(3, status="withdrawn")], DAY, 90) is None
    assert rules.episode_to_link([], DAY, 90) is None


def test_isolation_date():
    china = timezone(timedelta(hours=8))
    diagnosed = datetime(2026, 11, 22, 9, 0, tzinfo=china)
    assert rules.isolation_date(diagnosed, None, china) == date(2026, 11, 22)
    # A pool-positive member was isolated when the pool came back, the day before.
    pooled = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 23:00 in China
    assert rules.isolation_date(diagnosed, pooled, china) == date(2026, 11, 21)
    assert rules.isolation_date(diagnosed, diagnosed + timedelta(hours=1),
                                china) == date(2026, 11, 22)


def test_reclassification_and_withdrawal_rules():
    allowed = {"asymptomatic": ("confirmed",), "confirmed": ()}
    assert rules.reclassification_problem("asymptomatic", "active", "confirmed", allowed) is None
    assert "already" in rules.reclassification_problem("confirmed", "active", "confirmed",
                                                        allowed)
    assert "withdrawn" in rules.reclassification_problem("asymptomatic", "withdrawn",
                                                         "confirmed", allowed)
    assert "does not allow" in rules.reclassification_problem("asymptomatic", "active",
                                                              "confirmed", {})
    assert rules.withdrawal_problem("active", "false positive") is None
    assert rules.withdrawal_problem("active", "  no ") is not None
    assert rules.withdrawal_problem("withdrawn", "false positive") is not None


def test_day_counts_by_district_and_origin():
    later = T0 + timedelta(days=1)
    episodes = [
        facts(1, district=1),
        facts(2, district=1, imported=True),
        facts(3, district=2, asymptomatic_on=None, confirmed_on=DAY),
        # Reported asymptomatic the day before, reclassified today.
        facts(4, district=2, asymptomatic_on=DAY - timedelta(days=1), confirmed_on=DAY,
              reclassified_at=T0),
        # Reported today, reclassified tomorrow: still a new asymptomatic infection today.
        facts(5, district=2, confirmed_on=DAY + timedelta(days=1), reclassified_at=later),
        facts(6, district=1, withdrawn_at=later),
        facts(7, district=1, recorded_at=later),
    ]
    rows = {r.district_id: r for r in rules.day_counts(episodes, DAY, T0, [1, 2, 3])}
    assert set(rows) == {1, 2, 3}
    assert (rows[1].local.new_asymptomatic, rows[1].imported.new_asymptomatic) == (2, 1)
    assert rows[2].local.new_confirmed == 1 and rows[2].local.reclassified == 1
    assert rows[2].local.new_asymptomatic == 1
    assert rows[2].local.confirmed_total == 2
    assert rows[3].total.new_asymptomatic == 0
    # Later knowledge: the withdrawn case drops out, the late one comes in.
    rows = {r.district_id: r for r in rules.day_counts(episodes, DAY, later, [1, 2])}
    assert rows[1].local.new_asymptomatic == 2
    assert {e.id for e in episodes if rules.known_at(e, later)} == {1, 2, 3, 4, 5, 7}
