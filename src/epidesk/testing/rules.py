"""The lab batch format and the rules a batch must follow: pure functions, plain values.

A lab batch is one CSV (UTF-8, comma-separated, header on line 1) or Parquet file with
one row per swab (sample). Columns, by header name (order does not matter):

- `sample_id` (required): the swab's barcode, unique across every batch, at most 32
  characters.
- `tube_id` (required): the tube's barcode, at most 32 characters; the lines of a
  pooled tube share it.
- `tube_type` (required): `single` (one swab) or `pooled` (several swabs in one tube).
- `pool_size` (required): swabs in the tube: 1 for a single tube; for a pooled tube one
  of the preset's validated pool sizes, and exactly the number of lines of that tube.
- `resident_id` (required): the registered resident swabbed (integer id).
- `collected_at` (required): when the swab was taken, ISO 8601 with a UTC offset, e.g.
  `2026-11-20T08:15:00+08:00` (`Z` for UTC).
- `collection_site` (required): where it was taken, at most 100 characters.
- `lab` (required): the laboratory, at most 100 characters.
- `result_at` (required): when the lab released the tube's result, ISO 8601 with a UTC
  offset.
- `outcome` (required): the lab's reading of the tube: `positive`, `negative` or
  `invalid`.
- `ct_orf1ab`, `ct_n`, `ct_e` (optional): cycle threshold per target gene, above 0 and
  at most 50; empty when the gene did not amplify. The genes whose columns the file has
  are the batch's target genes. A positive outcome needs at least one Ct value.
- `onset_date` (optional): symptom onset (`YYYY-MM-DD`) when symptoms were recorded at
  sampling; a positive single tube with an onset date is a confirmed case, without one
  an asymptomatic infection.
- `imported` (optional): `true` when the infection was acquired outside the city (e.g.
  testing at the port of entry); empty or `false` otherwise.

Any other column is refused.

Every row of one tube repeats the tube's fields (tube_type, pool_size, collection_site,
lab, result_at, outcome and the Ct values) and they must agree. In Parquet, integer,
floating-point, boolean, date and timezone-aware timestamp columns may be used instead
of text. Dates (sampling day, reporting day) are the calendar dates of the times as the
lab wrote them, in the lab's own UTC offset.

The platform reads each tube with the active preset's positivity rule: `invalid` stays
invalid; otherwise the tube is positive when the target genes' Ct values are below the
preset's thresholds (all of them, or any, as the preset requires).

Problems are reported by line: the header is line 1 and the first sample line 2 (for
Parquet, the row number plus one, as in the same data written as CSV).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from epidesk.kit import i18n
from epidesk.kit.access import AreaPath
from epidesk.kit.i18n import _l
from epidesk.kit.reports import FileFormat
from epidesk.people.models import Resident
from epidesk.policy.schemas import Positivity
from epidesk.testing.models import RetestOrder, Sample, Tube

SINGLE = "single"
POOLED = "pooled"
TUBE_KINDS = (SINGLE, POOLED)
POSITIVE = "positive"
NEGATIVE = "negative"
INVALID = "invalid"
OUTCOMES = (POSITIVE, NEGATIVE, INVALID)
i18n.register_labels("outcome", {POSITIVE: _l("positive"), NEGATIVE: _l("negative"),
                                 INVALID: _l("invalid"), "pending": _l("pending")})
i18n.register_labels("tube_kind", {SINGLE: _l("single tube"), POOLED: _l("pooled tube")})
i18n.register_labels("retest_status", {"open": _l("open"), NEGATIVE: _l("negative"),
                                       POSITIVE: _l("positive")})
i18n.register_labels("retest_reason", {"pool_positive": _l("pool positive"),
                                       INVALID: _l("invalid result")})
i18n.register_labels("batch_status", {"accepted": _l("accepted"), "rejected": _l("rejected")})
i18n.register_labels("testing_state", {
    "pool positive, retest": _l("pool positive, retest"), "retest due": _l("retest due"),
    "never tested": _l("never tested"), "last result positive": _l("last result positive"),
    "last result negative": _l("last result negative"),
    "last result invalid": _l("last result invalid"),
})

GENES = ("orf1ab", "n", "e")
CT_COLUMNS = tuple(f"ct_{gene}" for gene in GENES)
REQUIRED_COLUMNS = (
    "sample_id", "tube_id", "tube_type", "pool_size", "resident_id", "collected_at",
    "collection_site", "lab", "result_at", "outcome",
)
OPTIONAL_COLUMNS = (*CT_COLUMNS, "onset_date", "imported")
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
# Fields of the tube that every row of the same tube repeats.
TUBE_FIELDS = ("tube_type", "pool_size", "collection_site", "lab", "result_at", "outcome",
               *CT_COLUMNS)

MAX_CODE_LENGTH = 32
MAX_TEXT_LENGTH = 100
CT_MAX = 50.0
# A swab is not tested a month after it was taken; a clock may run a little ahead.
MAX_TURNAROUND = timedelta(days=30)
CLOCK_TOLERANCE = timedelta(minutes=5)

# Problem kinds and what each means, in the order a report lists their counts.
PROBLEM_KINDS: dict[str, str] = {
    "unreadable_file": "the file is not a readable CSV or Parquet file",
    "empty_file": "the file holds no sample",
    "missing_column": "a required column is missing",
    "unknown_column": "a column the format does not know",
    "missing_value": "a required value is empty",
    "bad_integer": "not a whole number",
    "bad_number": "not a number",
    "bad_time": "not an ISO 8601 time with a UTC offset",
    "bad_date": "not a date (YYYY-MM-DD)",
    "bad_boolean": "not true or false",
    "too_long": "text longer than allowed",
    "unknown_tube_type": "tube type is not single or pooled",
    "unknown_outcome": "outcome is not positive, negative or invalid",
    "unknown_resident": "no registered resident has this id",
    "duplicate_sample": "the sample id appears on more than one line",
    "sample_exists": "the sample id was already ingested in another batch",
    "tube_exists": "the tube id was already ingested in another batch",
    "resident_twice_in_tube": "the same resident appears twice in one tube",
    "tube_disagreement": "lines of the same tube disagree on a tube field",
    "pool_size_mismatch": "the pool size does not match the tube's lines",
    "pool_size_not_validated": "the pool size is not one the preset validates",
    "ct_out_of_range": "a Ct value outside 0-50",
    "positive_without_ct": "a positive outcome without any Ct value",
    "time_in_future": "a time after now",
    "result_before_collection": "the result is earlier than the collection",
    "turnaround_too_long": "the result is more than 30 days after the collection",
    "onset_in_future": "a symptom onset after the city's today",
    "onset_after_sampling": "a symptom onset after the day the sample was taken",
    "time_too_early": "a time or date before 2000",
}


# Nothing a lab reports happened before this day (a 1970 date is a missing value).
EARLIEST_DAY = date(2000, 1, 1)

BATCH_FORMAT = FileFormat(columns=COLUMNS, kinds=PROBLEM_KINDS)


# ------------------------------------------------------------------ reading a tube


def below_threshold(gene: str, ct: float | None, positivity: Positivity) -> bool:
    """Whether one gene amplified below the preset's threshold for it."""
    return ct is not None and not math.isnan(ct) and ct < positivity.threshold(gene)


def is_positive(cts: Mapping[str, float | None], genes: Sequence[str],
                positivity: Positivity) -> bool:
    """Whether Ct values on the target genes make a positive result under the preset."""
    if not genes:
        return False
    hits = [below_threshold(gene, cts.get(gene), positivity) for gene in genes]
    return all(hits) if positivity.require == "all" else any(hits)


def read_outcome(reported: str, cts: Mapping[str, float | None], genes: Sequence[str],
                 positivity: Positivity) -> str:
    """The platform's reading of a tube: invalid stays invalid, else the preset's Ct rule."""
    if reported == INVALID:
        return INVALID
    return POSITIVE if is_positive(cts, genes, positivity) else NEGATIVE


def ct_problem(ct: float | None) -> str | None:
    """None when a Ct value is acceptable (or absent), else what is wrong with it."""
    if ct is None or math.isnan(ct):
        return None
    if ct == 0:
        return "Ct 0 is not a cycle threshold; leave the cell empty when the gene did not amplify"
    if not 0 < ct <= CT_MAX:
        return f"Ct {ct:g} is outside 0-{CT_MAX:g}"
    return None


# ------------------------------------------------------------------ tubes and pools


def pool_size_problem(kind: str, declared: int, members: int,
                      validated: Sequence[int]) -> tuple[str, str] | None:
    """None when a tube's declared size fits its kind, lines and the preset, else (kind, why)."""
    if kind == SINGLE:
        if declared != 1:
            return "pool_size_mismatch", f"a single tube has pool size 1, not {declared}"
        if members != 1:
            return "pool_size_mismatch", f"a single tube holds one sample, not {members}"
        return None
    if declared not in validated:
        sizes = ", ".join(str(s) for s in validated)
        return ("pool_size_not_validated",
                f"pool size {declared} is not validated by the preset (validated: {sizes})")
    if declared != members:
        return ("pool_size_mismatch",
                f"the tube is declared a pool of {declared} but has {members} sample lines")
    return None


def time_problem(collected_at: datetime, result_at: datetime,
                 now: datetime) -> tuple[str, str, str] | None:
    """None when collection and result times are possible, else (kind, column, why)."""
    latest = now + CLOCK_TOLERANCE
    if collected_at > latest:
        return ("time_in_future", "collected_at",
                f"collected at {collected_at:%Y-%m-%d %H:%M}Z, after now")
    if result_at > latest:
        return "time_in_future", "result_at", f"result at {result_at:%Y-%m-%d %H:%M}Z, after now"
    if result_at < collected_at:
        return "result_before_collection", "result_at", "the result is earlier than the collection"
    if result_at - collected_at > MAX_TURNAROUND:
        return ("turnaround_too_long", "result_at",
                f"the result is {(result_at - collected_at).days} days after the collection")
    return None


def retest_reason(kind: str, outcome: str) -> str | None:
    """Why the members of a tube must be re-sampled in single tubes, or None."""
    if outcome == INVALID:
        return "invalid"
    if kind == POOLED and outcome == POSITIVE:
        return "pool_positive"
    return None


def resolves_retest(order_tube_collected_at: datetime, result_kind: str,
                    result_collected_at: datetime, result_outcome: str) -> bool:
    """Whether a result resolves an open retest: a single tube, taken later, not invalid."""
    return (result_kind == SINGLE and result_outcome != INVALID
            and result_collected_at > order_tube_collected_at)


def parse_boolean(text: str) -> bool | None:
    """True, False, or None when the text is no boolean (empty reads as False)."""
    value = text.strip().lower()
    if value in ("", "false", "0", "no", "n", "f"):
        return False
    if value in ("true", "1", "yes", "y", "t"):
        return True
    return None


# ------------------------------------------------------------------ what a reader sees


@dataclass(frozen=True)
class TubeDetail:
    """A tube, the samples in it the caller may see, and the retests it called for."""

    tube: Tube
    samples: list[tuple[Sample, Resident]]
    hidden_samples: int
    retests: Sequence[RetestOrder]


@dataclass(frozen=True)
class TestingHistory:
    """A resident's samples with their tubes' results, and their retest orders."""

    resident: Resident
    area: AreaPath
    samples: list[tuple[Sample, Tube]]
    retests: Sequence[RetestOrder]

    @property
    def state(self) -> str:
        """'pool positive, retest' while a retest is open, else the latest result."""
        if any(o.status == "open" and o.reason == "pool_positive" for o in self.retests):
            return "pool positive, retest"
        if any(o.status == "open" for o in self.retests):
            return "retest due"
        if not self.samples:
            return "never tested"
        _sample, tube = self.samples[0]
        return f"last result {tube.outcome}"
