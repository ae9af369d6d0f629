"""Pure rules of lab batches: positivity per gene, pools, times, retests, reports."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from epidesk.kit.reports import Problem, line_of, report_of
from epidesk.testing import rules
from tests.testing.batches import preset

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_positive_needs_every_target_gene_below_the_threshold():
    rule = preset().cases.positivity
    assert rule.require == "all" and rule.ct_below == 35
    genes = ("orf1ab", "n")
    assert rules.is_positive({"orf1ab": 30.0, "n": 34.9}, genes, rule)
    assert not rules.is_positive({"orf1ab": 30.0, "n": 35.0}, genes, rule)
    assert not rules.is_positive({"orf1ab": 30.0, "n": None}, genes, rule)
    assert not rules.is_positive({"orf1ab": 30.0, "n": math.nan}, genes, rule)
    assert not rules.is_positive({}, (), rule)


def test_any_gene_suffices_when_the_preset_says_any():
    rule = preset(require="any").cases.positivity
    assert rules.is_positive({"orf1ab": 38.0, "n": 20.0}, ("orf1ab", "n"), rule)
    assert not rules.is_positive({"orf1ab": 38.0, "n": None}, ("orf1ab", "n"), rule)


def test_per_gene_thresholds_override_the_general_one():
    rule = preset(per_gene_ct_below={"n": 30.0}).cases.positivity
    assert rule.threshold("n") == 30.0 and rule.threshold("orf1ab") == 35.0
    assert rules.is_positive({"orf1ab": 34.0, "n": 29.0}, ("orf1ab", "n"), rule)
    assert not rules.is_positive({"orf1ab": 34.0, "n": 32.0}, ("orf1ab", "n"), rule)


def test_reading_an_outcome():
    rule = preset().cases.positivity
    genes = ("orf1ab", "n")
    assert rules.read_outcome("invalid", {"orf1ab": 20.0, "n": 20.0}, genes, rule) == "invalid"
    assert rules.read_outcome("negative", {"orf1ab": 20.0, "n": 20.0}, genes, rule) == "positive"
    assert rules.read_outcome("positive", {"orf1ab": 37.0, "n": 38.0}, genes, rule) == "negative"


@pytest.mark.parametrize(("ct", "ok"), [(None, True), (math.nan, True), (0.1, True), (50.0, True),
                                        (0.0, False), (-1.0, False), (50.1, False)])
def test_ct_values_lie_between_0_and_50(ct, ok):
    assert (rules.ct_problem(ct) is None) is ok


def test_pool_sizes():
    validated = [5, 10, 20]
    assert rules.pool_size_problem("single", 1, 1, validated) is None
    assert rules.pool_size_problem("pooled", 10, 10, validated) is None
    assert rules.pool_size_problem("pooled", 10, 9, validated)[0] == "pool_size_mismatch"
    kind, why = rules.pool_size_problem("pooled", 8, 8, validated)
    assert kind == "pool_size_not_validated" and "5, 10, 20" in why
    assert rules.pool_size_problem("single", 2, 2, validated)[0] == "pool_size_mismatch"
    assert rules.pool_size_problem("single", 1, 2, validated)[0] == "pool_size_mismatch"


def test_impossible_times():
    collected = NOW - timedelta(hours=10)
    assert rules.time_problem(collected, NOW - timedelta(hours=1), NOW) is None
    assert rules.time_problem(NOW + timedelta(hours=1), NOW + timedelta(hours=2),
                              NOW)[:2] == ("time_in_future", "collected_at")
    assert rules.time_problem(collected, NOW + timedelta(hours=1),
                              NOW)[:2] == ("time_in_future", "result_at")
    assert rules.time_problem(collected, collected - timedelta(minutes=1),
                              NOW)[0] == "result_before_collection"
    assert rules.time_problem(NOW - timedelta(days=40), NOW, NOW)[0] == "turnaround_too_long"
    # A lab clock a little ahead is tolerated.
    assert rules.time_problem(collected, NOW + timedelta(minutes=2), NOW) is None


def test_retests():
    assert rules.retest_reason("pooled", "positive") == "pool_positive"
    assert rules.retest_reason("pooled", "invalid") == "invalid"
    assert rules.retest_reason("single", "invalid") == "invalid"
    assert rules.retest_reason("single", "positive") is None
    assert rules.retest_reason("pooled", "negative") is None
    earlier, later = NOW - timedelta(days=1), NOW
    assert rules.resolves_retest(earlier, "single", later, "negative")
    assert not rules.resolves_retest(earlier, "pooled", later, "negative")
    assert not rules.resolves_retest(earlier, "single", later, "invalid")
    assert not rules.resolves_retest(later, "single", earlier, "positive")


def test_booleans():
    assert rules.parse_boolean("TRUE") is True
    assert rules.parse_boolean("") is False
    assert rules.parse_boolean("no") is False
    assert rules.parse_boolean("perhaps") is None


def test_report_lists_the_first_problems_by_line_and_counts_them_all():
    problems = [Problem(line_of(r), "resident_id", "unknown_resident", f"row {r}")
                for r in range(150, -1, -1)]
    problems.append(Problem(1, "lab", "missing_column", "missing"))
    report = report_of(problems, file_format=rules.BATCH_FORMAT, limit=100)
    assert report.total == 152 and report.truncated
    assert [p.line for p in report.problems[:3]] == [1, 2, 3]
    assert list(report.counts) == ["missing_column", "unknown_resident"]
    assert report.summary() == "152 problems: 1 missing column, 151 unknown resident"
    assert line_of(0) == 2
