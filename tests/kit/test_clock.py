"""The clock and the city's time zone: local days, offsets, formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from epidesk.config import Settings
from epidesk.kit import clock

SHANGHAI = clock.zone_named("Asia/Shanghai")
BERLIN = clock.zone_named("Europe/Berlin")


def _seconds(*moments: datetime) -> np.ndarray:
    return np.array([int(m.timestamp()) for m in moments], dtype=np.int64)


def test_a_swab_at_a_quarter_past_midnight_city_time_falls_on_the_city_day() -> None:
    moment = datetime(2022, 9, 4, 16, 15, tzinfo=UTC)  # 00:15 on 5 September in Shanghai
    assert moment.date() == date(2022, 9, 4)
    assert clock.local_day(moment, SHANGHAI) == date(2022, 9, 5)
    days = clock.local_days(_seconds(moment), SHANGHAI)
    assert days[0] == np.datetime64("2022-09-05")


def test_naive_moments_are_read_as_utc() -> None:
    naive = datetime(2022, 9, 4, 16, 15)
    assert clock.aware(naive) == datetime(2022, 9, 4, 16, 15, tzinfo=UTC)
    assert clock.naive_utc(datetime(2022, 9, 5, 0, 15, tzinfo=timezone(timedelta(hours=8)))) \
        == naive


def test_day_start_is_local_midnight_in_utc() -> None:
    assert clock.day_start(date(2022, 9, 5), SHANGHAI) == datetime(2022, 9, 4, 16, tzinfo=UTC)
    # Berlin in summer is UTC+2, in winter UTC+1.
    assert clock.day_start(date(2022, 7, 1), BERLIN) == datetime(2022, 6, 30, 22, tzinfo=UTC)
    assert clock.day_start(date(2022, 12, 1), BERLIN) == datetime(2022, 11, 30, 23, tzinfo=UTC)


def test_offsets_follow_daylight_saving_to_the_second() -> None:
    # Europe/Berlin leaves summer time at 01:00 UTC on 30 October 2022.
    change = datetime(2022, 10, 30, 1, 0, tzinfo=UTC)
    moments = [change - timedelta(seconds=1), change, change + timedelta(hours=5),
               datetime(2022, 3, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC)]
    offsets = clock.utc_offsets(_seconds(*moments), BERLIN)
    assert offsets.tolist() == [7200, 3600, 3600, 3600, 7200]
    expected = [clock.local_day(m, BERLIN) for m in moments]
    got = [d.astype(object) for d in clock.local_days(_seconds(*moments), BERLIN)]
    assert got == expected


def test_many_moments_agree_with_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    start = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
    seconds = np.sort(rng.integers(start, start + 3 * 365 * 86_400, size=2_000))
    for zone in (SHANGHAI, BERLIN, clock.zone_named("America/New_York")):
        days = clock.local_days(seconds, zone)
        for s, d in zip(seconds[::97].tolist(), days[::97], strict=True):
            assert d.astype(object) == datetime.fromtimestamp(s, UTC).astimezone(zone).date()


def test_no_moments_give_no_days() -> None:
    assert len(clock.local_days(np.zeros(0, dtype=np.int64), SHANGHAI)) == 0


def test_city_zone_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from epidesk.config import get_settings

    monkeypatch.setenv("EPIDESK_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    try:
        assert clock.zone_label() == "Europe/Berlin"
        assert clock.format_local(datetime(2022, 7, 1, 10, 30, tzinfo=UTC)) == "2022-07-01 12:30"
    finally:
        monkeypatch.delenv("EPIDESK_TIMEZONE")
        get_settings.cache_clear()
    assert clock.zone_label() == "Asia/Shanghai"
    assert clock.format_local(datetime(2022, 7, 1, 10, 30, tzinfo=UTC)) == "2022-07-01 18:30"
    assert clock.format_local(None) == ""


def test_an_unknown_zone_is_refused_with_its_name() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings(timezone="Mars/Olympus")


def test_local_midnights_agree_with_each_days_midnight() -> None:
    rng = np.random.default_rng(3)
    days = rng.integers(-14_000, 21_000, 5_000).astype("datetime64[D]")
    for zone in (SHANGHAI, BERLIN):
        starts = clock.local_midnights(days, zone)
        expected = [int(clock.day_start(d.astype(object), zone).timestamp()) for d in days]
        assert starts.tolist() == expected
    # A span beyond the lookup table is converted value by value, with the same answers.
    far = np.array(["1900-01-01", "2400-06-30", "2022-03-27"], dtype="datetime64[D]")
    assert clock.local_midnights(far, BERLIN).tolist() == [
        int(clock.day_start(d.astype(object), BERLIN).timestamp()) for d in far]
