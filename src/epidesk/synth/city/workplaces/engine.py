"""The workplaces of the synthetic city as columns: workplaces, work groups and their
members, school staff included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.bulk import Categorical, Joined, Nullable
from epidesk.synth.city import rules
from epidesk.synth.city.places.engine import Areas, pair_codes, pair_vocab, point_in
from epidesk.synth.city.residents.engine import REFERENCE_DAY, People
from epidesk.synth.city.schools.engine import RESIDENT_BITS, Schools, Teachers
from epidesk.synth.engine import (
    IntArray,
    TableColumns,
    constant_text,
    group_starts,
    ids_of,
    number_texts,
    positions_within,
    random_bits,
    row_ids,
    sort_order,
)

# ------------------------------------------------------------------ work


def _tenure_start(rng: np.random.Generator, ages: NDArray[Any]) -> NDArray[np.datetime64]:
    """Start dates of jobs: an exponential tenure (mean five years), not before 18."""
    years = np.minimum(rng.exponential(5.0, len(ages)),
                       np.maximum(0, np.asarray(ages, dtype=np.float64) - rules.ADULT_AGE))
    return REFERENCE_DAY - np.floor(years * 365.25).astype(np.int64)


def work_group_sizes(rng: np.random.Generator, workers: int) -> IntArray:
    """Sizes of work groups (5 to 40) that together hold exactly `workers` people."""
    lo, hi = rules.WORK_GROUP_MIN, rules.WORK_GROUP_MAX
    if workers < lo:
        return np.zeros(0, dtype=np.int64)
    draw: IntArray = np.clip(np.round(rng.lognormal(np.log(12), 0.6, workers // lo + 16)),
                             lo, hi).astype(np.int64)
    fits = np.cumsum(draw) <= workers
    sizes = draw[fits]
    if len(sizes) == 0:
        return np.array([workers], dtype=np.int64)  # lo <= workers < hi
    left = workers - int(sizes.sum())
    while left > 0:
        room = np.flatnonzero(sizes < hi)[:left]
        sizes[room] += 1
        left -= len(room)
    return sizes


def build_work(rng: np.random.Generator, areas: Areas, people: People, schools: Schools,
               tables: dict[str, TableColumns]) -> Teachers:
    """Workplaces, work groups and their members (school staff included), into tables."""
    n = len(people.age)
    c_n = areas.plan.communities
    employed = rules.working_age(people.age, people.male)
    employed &= rng.random(n) < rules.employment_probability(people.age)
    workers = np.flatnonzero(employed)
    w_district = areas.district_of_comm[people.community[workers]]
    w_order = sort_order((w_district << 20) | random_bits(rng, len(workers)))
    workers, w_district = workers[w_order], w_district[w_order]
    d_n = areas.plan.districts
    w_count = np.bincount(w_district, minlength=d_n)
    w_first = group_starts(w_count)

    # School staff (a teacher per class plus other staff) from the school's district.
    sc_n = len(schools.school_district)
    teachers = schools.classes_of_school
    staff = np.maximum(rules.WORK_GROUP_MIN, teachers + -(-teachers // 4))
    slot_school = np.repeat(np.arange(sc_n), staff)
    slot_k = positions_within(staff)
    slot_district = schools.school_district[slot_school]
    slot_order = np.argsort(slot_district, kind="stable")
    slot_rank = np.empty(len(slot_school), dtype=np.int64)
    slot_rank[slot_order] = positions_within(np.bincount(slot_district, minlength=d_n))
    filled = slot_rank < w_count[slot_district]
    slot_worker = np.full(len(slot_school), -1, dtype=np.int64)
    slot_worker[filled] = workers[w_first[slot_district[filled]] + slot_rank[filled]]
    is_teacher = filled & (slot_k < teachers[slot_school])
    teacher = slot_worker[is_teacher]
    teacher_class = schools.first_class_of_school[slot_school[is_teacher]] + slot_k[is_teacher]

    # Staff rooms: each school is also a workplace, its staff in groups of at most 40
    # (a school of a tiny city that found fewer than 5 staff has no staff room).
    staff_count = np.bincount(slot_school[filled], minlength=sc_n)
    in_room = filled & (staff_count[slot_school] >= rules.WORK_GROUP_MIN)
    staff_school = slot_school[in_room]
    staff_worker = slot_worker[in_room]
    staff_count = np.bincount(staff_school, minlength=sc_n)
    staff_groups = -(-staff_count // rules.WORK_GROUP_MAX)
    staff_group = (group_starts(staff_groups)[staff_school]
                   + positions_within(staff_count) * staff_groups[staff_school] // np.maximum(
                       1, staff_count[staff_school]))

    # Everyone else with a job: shuffled into teams, teams into workplaces.
    taken = np.zeros(n, dtype=bool)
    taken[slot_worker[filled]] = True
    general = rng.permutation(np.flatnonzero(employed & ~taken))
    sizes = work_group_sizes(rng, len(general))
    g_n = len(sizes)
    per_workplace: list[IntArray] = []
    total = 0
    while total < g_n:
        large = rng.random(g_n // 2 + 8) < 0.15
        count = np.where(large, 5 + np.minimum(rng.geometric(0.06, len(large)) - 1, 55),
                         np.minimum(rng.geometric(0.6, len(large)), 4))
        per_workplace.append(count)
        total += int(count.sum())
    counts = np.concatenate(per_workplace) if per_workplace else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    keep = int(np.searchsorted(ends, g_n)) + 1 if g_n else 0
    counts = counts[:keep]
    if keep:
        counts[-1] -= int(ends[keep - 1]) - g_n
    wp_n = len(counts)
    kinds = rules.WORKPLACE_KINDS
    small_kinds = np.array([i for i, k in enumerate(kinds) if not k.large])
    large_kinds = np.array([i for i, k in enumerate(kinds) if k.large])
    wp_kind = np.where(counts >= 5, large_kinds[rng.integers(0, len(large_kinds), wp_n)],
                       small_kinds[rng.integers(0, len(small_kinds), wp_n)])
    busy = rng.lognormal(0, 1, c_n)
    wp_comm = rng.choice(c_n, size=wp_n, p=busy / busy.sum())
    wp_lon, wp_lat = point_in(rng, areas.comm_rect, wp_comm)

    all_kinds = (*kinds, rules.SCHOOL_WORKPLACE)
    school_kind = len(kinds)
    tables["workplace"] = {
        "id": row_ids(sc_n + wp_n),
        "name": Joined((
            Categorical((*(joined_strings(schools.school_name)), *pair_vocab()),
                        np.concatenate([np.arange(sc_n),
                                        sc_n + pair_codes(rng, wp_n)]).astype(np.int32)),
            Categorical(("", " "), np.concatenate([np.zeros(sc_n, np.int8),
                                                  np.ones(wp_n, np.int8)])),
            Categorical(tuple(k.label for k in all_kinds),
                        np.concatenate([np.full(sc_n, school_kind), wp_kind]).astype(np.int8)),
        )),
        "kind": Categorical(tuple(k.kind for k in all_kinds),
                            np.concatenate([np.full(sc_n, school_kind), wp_kind]).astype(np.int8)),
        "community_id": ids_of(np.concatenate([schools.school_comm, wp_comm])),
        "lat": np.concatenate([schools.school_lat, wp_lat]),
        "lon": np.concatenate([schools.school_lon, wp_lon]),
    }

    group_workplace = np.concatenate([np.repeat(np.arange(sc_n), staff_groups),
                                      sc_n + np.repeat(np.arange(wp_n), counts)])
    group_team = np.concatenate([np.full(int(staff_groups.sum()), school_kind),
                                 np.repeat(wp_kind, counts)])
    group_number = np.concatenate([positions_within(staff_groups), positions_within(counts)]) + 1
    wg_n = len(group_workplace)
    tables["work_group"] = {
        "id": row_ids(wg_n),
        "workplace_id": ids_of(group_workplace),
        "name": Joined((Categorical(tuple(k.team for k in all_kinds), group_team.astype(np.int8)),
                        constant_text(" ", wg_n), number_texts(group_number))),
    }
    staff_groups_total = int(staff_groups.sum())
    general_group = staff_groups_total + np.repeat(np.arange(g_n), sizes)
    member_group = np.concatenate([staff_group, general_group])
    member = np.concatenate([staff_worker, general[: len(general_group)]])
    packed = np.sort((member_group << RESIDENT_BITS) | member)
    member_group, member = packed >> RESIDENT_BITS, packed & ((1 << RESIDENT_BITS) - 1)
    mm_n = len(member)
    tables["work_group_membership"] = {
        "id": row_ids(mm_n),
        "work_group_id": ids_of(member_group),
        "resident_id": ids_of(member),
        "start_date": _tenure_start(rng, people.age[member]),
        "end_date": Nullable(np.full(mm_n, REFERENCE_DAY), np.ones(mm_n, dtype=bool)),
    }
    return Teachers(teacher, teacher_class)


def joined_strings(column: Joined) -> list[str]:
    """The texts of a (small) joined column of categoricals."""
    out: list[str] = [""] * len(column)
    for part in column.parts:
        assert isinstance(part, Categorical)
        vocab = part.vocabulary
        codes = np.broadcast_to(np.asarray(part.codes), (len(column),)).tolist()
        out = [o + vocab[c] for o, c in zip(out, codes, strict=True)]
    return out
