"""The criterion arithmetic: when does "N events on D days within W days" become true, and by which event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from journeys.events.rules import DayCount, criterion_tipping, filter_key, properties_match

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def days(*counts: tuple[int, int]) -> list[DayCount]:
    """(day offset, count) pairs → day counts starting 2026-03-01."""
    return [
        DayCount(day=date(2026, 3, 1) + timedelta(days=offset), count=count, first_at=T0, last_at=T0)
        for offset, count in counts
    ]


def test_at_least_n_events_tips_on_the_nth_event() -> None:
    tipping = criterion_tipping(days((0, 2), (3, 5)), min_count=4, min_days=None, window_days=None)
    assert tipping.day.day == date(2026, 3, 4)
    assert tipping.nth == 2  # 2 events on day 0, the 2nd event of day 3 is the 4th


def test_not_enough_events_never_tips() -> None:
    assert criterion_tipping(days((0, 1), (1, 1)), min_count=3, min_days=None, window_days=None) is None


def test_distinct_days_within_a_window() -> None:
    # 5 active days within 14 days: days 0,2,4 then a gap, then 20,21,22,23,24
    history = days((0, 1), (2, 1), (4, 1), (20, 3), (21, 1), (22, 1), (23, 1), (24, 1))
    tipping = criterion_tipping(history, min_count=1, min_days=5, window_days=14)
    assert tipping.day.day == date(2026, 3, 25)  # day 24: days 20..24 are five in a 14-day window
    assert tipping.nth == 1


def test_window_edges_are_inclusive_of_w_days() -> None:
    # days 0 and 6 are within a 7-day window (0..6); days 0 and 7 are not
    assert criterion_tipping(days((0, 1), (6, 1)), min_count=2, min_days=2, window_days=7).day.day == date(2026, 3, 7)
    assert criterion_tipping(days((0, 1), (7, 1)), min_count=2, min_days=2, window_days=7) is None


def test_count_and_days_together() -> None:
    # 10 events on at least 3 days: 8 on day 0, 1 on day 1, then 3 on day 2 → the 1st of day 2 makes 10 and 3 days
    tipping = criterion_tipping(days((0, 8), (1, 1), (2, 3)), min_count=10, min_days=3, window_days=None)
    assert (tipping.day.day, tipping.nth) == (date(2026, 3, 3), 1)


def test_days_reached_before_count() -> None:
    tipping = criterion_tipping(days((0, 1), (1, 1), (2, 1), (3, 4)), min_count=6, min_days=3, window_days=None)
    assert (tipping.day.day, tipping.nth) == (date(2026, 3, 4), 3)


def test_order_of_input_does_not_matter() -> None:
    history = days((3, 5), (0, 2))
    assert criterion_tipping(history, min_count=4, min_days=None, window_days=None).day.day == date(2026, 3, 4)


def test_filter_key_is_canonical() -> None:
    assert filter_key({}) == ""
    assert filter_key({"b": 1, "a": "x"}) == filter_key({"a": "x", "b": 1}) == '{"a":"x","b":1}'


def test_properties_match() -> None:
    assert properties_match({"status": "delivered", "n": 2}, {"status": "delivered"})
    assert not properties_match({"status": "bounced"}, {"status": "delivered"})
    assert not properties_match({}, {"status": "delivered"})
    assert properties_match(None, {})
