"""Pure rules of the outbreak's simulated testing: kinds of tube, collection hours and
turnaround, laboratories, pools, and how a tube reads.
"""

from __future__ import annotations

import numpy as np

from epidesk.errors import ValidationFailedError
from epidesk.synth.engine import BoolArray, FloatArray, IntArray
from epidesk.synth.outbreak.rules import JINING_LIKE

# How a tube was collected.
MASS_ROUND = "mass_round"
RETEST = "retest"
FEVER_CLINIC = "fever_clinic"
QUARANTINE = "quarantine"
PORT_OF_ENTRY = "port_of_entry"
TEST_KINDS = (MASS_ROUND, RETEST, FEVER_CLINIC, QUARANTINE, PORT_OF_ENTRY)
TEST_CODES = {name: code for code, name in enumerate(TEST_KINDS)}

# Local hours (from, to) in which each kind of swab is taken, and the lab's turnaround
# in hours (from, to), uniform in between. Assumption; the only published bound is that
# an area must be tested within 24 h (regional testing guide, 3rd ed., March 2022).
COLLECTION_HOURS: dict[str, tuple[float, float]] = {
    MASS_ROUND: (7.0, 20.0), RETEST: (8.0, 12.0), FEVER_CLINIC: (8.0, 22.0),
    QUARANTINE: (7.0, 10.0), PORT_OF_ENTRY: (6.0, 23.0),
}
TURNAROUND_HOURS: dict[str, tuple[float, float]] = {
    MASS_ROUND: (5.0, 12.0), RETEST: (3.0, 8.0), FEVER_CLINIC: (2.0, 6.0),
    QUARANTINE: (4.0, 10.0), PORT_OF_ENTRY: (3.0, 8.0),
}
# Seconds between two swabs of the same pooled tube (assumption).
SWAB_SECONDS = 20
# Testing points per community in a mass round (assumption).
TESTING_POINTS = 3

# Laboratories (synthetic names; "{city}" is the city's name) and which kind of tube
# each one reads: mass rounds are spread over the first three by community.
LABS: tuple[tuple[str, str], ...] = (
    ("cdc", "{city} CDC Laboratory"),
    ("kangda", "Kangda Medical Laboratory"),
    ("huaxin", "Huaxin Testing Centre"),
    ("ph1", "{city} First People's Hospital Laboratory"),
    ("ph2", "{city} Second People's Hospital Laboratory"),
)
MASS_ROUND_LABS = (0, 1, 2)
LAB_OF_KIND = {RETEST: 3, FEVER_CLINIC: 4, QUARANTINE: 0, PORT_OF_ENTRY: 0}
PORTS = ("Railway station arrivals", "Long-distance bus station arrivals",
         "Expressway checkpoint")
QUARANTINE_SITES = 3

# Target genes written in the batches: ORF1ab and N (the two genes of most Chinese kits).
TARGET_GENES = ("orf1ab", "n")


SAMPLE_DIGITS = 9
TUBE_DIGITS = 8
OUTCOME_NAMES = ("negative", "positive", "invalid")


def validate_pool_size(pool_size: int, validated: tuple[int, ...] | list[int],
                       preset: str) -> int:
    """The pool size of mass rounds, or ValidationFailedError when the preset does not
    validate it."""
    if pool_size not in validated:
        sizes = ", ".join(str(s) for s in validated)
        raise ValidationFailedError(
            f"pool size {pool_size} is not validated by the preset {preset} "
            f"(validated: {sizes})")
    return int(pool_size)


def default_pool_size(validated: tuple[int, ...] | list[int]) -> int:
    """10 when the preset validates it, else its largest validated size."""
    return JINING_LIKE.pool_size if JINING_LIKE.pool_size in validated else max(validated)


def pool_sizes_of(count: int, pool_size: int, validated: tuple[int, ...] | list[int]
                  ) -> list[int]:
    """Tube sizes for `count` swabs: full pools, then the rest in smaller validated pools,
    then single tubes (size 1) for what no validated pool fits."""
    sizes = [pool_size] * (count // pool_size)
    rest = count % pool_size
    for size in sorted((s for s in validated if s < pool_size), reverse=True):
        while rest >= size:
            sizes.append(size)
            rest -= size
    sizes.extend([1] * rest)
    return sizes


def pooled_ct(member_ct: FloatArray, tube: IntArray, size: IntArray) -> FloatArray:
    """The Ct of each tube from its members' Ct values (NaN: nothing amplifies).

    Swabs pooled in one tube dilute each other: the tube holds the mean of its members'
    viral loads (each 2**-Ct at full PCR efficiency), so a lone positive among k swabs
    reads about log2(k) cycles later (3.3 for 10; cf. Yelin I et al., Clin Infect Dis
    2020).
    """
    load = np.where(np.isnan(member_ct), 0.0, np.exp2(-np.nan_to_num(member_ct, nan=99.0)))
    total = np.bincount(tube, weights=load, minlength=len(size))
    mean = total / np.maximum(size, 1)
    with np.errstate(divide="ignore"):
        ct = -np.log2(mean)
    result: FloatArray = np.where(mean > 0, ct, np.nan)
    return result


def tube_outcome(ct_genes: FloatArray, thresholds: FloatArray, require_all: bool,
                 undetectable: float) -> tuple[BoolArray, FloatArray]:
    """(positive, reported Ct values) of tubes from per-gene Ct values (tubes x genes).

    Genes at or beyond `undetectable` did not amplify; a negative tube reports no Ct.
    Values are read as the lab reports them, to two decimals.
    """
    ct_genes = np.round(ct_genes, 2)
    amplified = ct_genes < undetectable
    below = amplified & (ct_genes < thresholds[None, :])
    positive: BoolArray = np.asarray(below.all(axis=1) if require_all else below.any(axis=1))
    reported: FloatArray = np.where(positive[:, None] & amplified, ct_genes, np.nan)
    return positive, reported
