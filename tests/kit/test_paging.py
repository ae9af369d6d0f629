"""Pages of a list: the line that says how many rows lie beyond the page."""

from __future__ import annotations

from epidesk.kit.paging import PageCount, page_count


def test_a_whole_list_says_how_many_in_all():
    assert page_count(offset=0, shown=12, counted=12).note() == "12 in all"
    assert page_count(offset=0, shown=0, counted=0).note() == "0 in all"


def test_a_first_page_says_where_the_next_begins():
    page = page_count(offset=0, shown=50, counted=1234)
    assert page.more
    assert page.note() == "showing 1-50 of 1,234; use --limit/--offset (next: --offset 50)"


def test_the_last_page_needs_no_next():
    page = page_count(offset=1200, shown=34, counted=1234)
    assert not page.more
    assert page.note() == "showing 1,201-1,234 of 1,234"


def test_a_page_past_the_end_says_so():
    assert page_count(offset=40, shown=0, counted=12).note() == (
        "nothing from row 41 on: 12 in all; use a smaller --offset")


def test_a_count_beyond_the_cap_is_a_lower_bound():
    page = page_count(offset=0, shown=50, counted=10_001, cap=10_000)
    assert page == PageCount(offset=0, shown=50, total=10_000, capped=True)
    assert page.note() == ("showing 1-50 of more than 10,000; use --limit/--offset "
                           "(next: --offset 50)")


def test_rows_written_after_the_count_keep_the_page_inside_the_total():
    assert page_count(offset=10, shown=5, counted=12).total == 15


def test_a_list_that_pages_no_deeper_asks_to_refine_the_query():
    page = page_count(offset=1000, shown=25, counted=10_001, cap=10_000, max_offset=1000)
    assert page.note() == "showing 1,001-1,025 of more than 10,000; refine the query to find " \
        "the others"
    shallow = page_count(offset=0, shown=25, counted=40, max_offset=1000)
    assert shallow.note() == "showing 1-25 of 40; use --limit/--offset (next: --offset 25)"
