"""The schools of the synthetic city as columns: schools, classes and their pupils and
teachers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epidesk.kit.bulk import Categorical, Joined, Nullable
from epidesk.synth.city import rules
from epidesk.synth.city.places.engine import Areas, area_community, point_in
from epidesk.synth.city.residents.engine import REFERENCE_DAY, People
from epidesk.synth.engine import (
    FloatArray,
    IntArray,
    TableColumns,
    constant_text,
    group_starts,
    ids_of,
    number_texts,
    positions_within,
    random_bits,
    row_ids,
    runs_of,
    sort_order,
)

# Bits that hold a resident's position in packed sort keys.
RESIDENT_BITS = max(25, rules.MAX_PEOPLE.bit_length())


# ------------------------------------------------------------------ schools


@dataclass
class Schools:
    """Schools, their classes and their pupils, for staffing and class memberships."""

    school_district: IntArray
    school_comm: IntArray
    school_lat: FloatArray
    school_lon: FloatArray
    school_name: Joined
    classes_of_school: IntArray
    first_class_of_school: IntArray
    pupil: IntArray
    pupil_class: IntArray


@dataclass
class Teachers:
    """The teacher of each class: a resident and the class."""

    resident: IntArray
    school_class: IntArray


def build_schools(rng: np.random.Generator, areas: Areas, people: People,
                  tables: dict[str, TableColumns]) -> Schools:
    """Schools and school classes of every district and subdistrict, into tables."""
    stages = rules.SCHOOL_STAGES
    stage = rules.school_stage(people.age)
    enrolment = np.array([s.enrolment for s in stages] + [0.0])
    enrolled = rng.random(len(stage)) < enrolment[stage]
    pupils = np.flatnonzero(enrolled)
    p_stage = stage[pupils]
    p_grade = rules.school_grade(people.age[pupils], p_stage)
    p_comm = people.community[pupils]
    # Kindergartens and primary schools serve a subdistrict; secondary schools a district.
    local_stage = np.array([s.kind in ("kindergarten", "primary") for s in stages])
    s_n = areas.plan.subdistricts
    area_key = np.where(local_stage[p_stage], areas.sub_of_comm[p_comm],
                        s_n + areas.district_of_comm[p_comm])
    key = (area_key * len(stages) + p_stage) * 16 + p_grade
    order = sort_order((key << 20) | random_bits(rng, len(pupils)))
    pupils, key = pupils[order], key[order]
    groups, g_start, g_count = runs_of(key)
    g_stage = (groups // 16) % len(stages)
    g_grade = groups % 16
    g_classes = -(-g_count // np.array([s.class_size for s in stages])[g_stage])

    # Schools of one stage in one area: enough for its biggest grade.
    area_stage, g_area_stage = np.unique(groups // 16, return_inverse=True)
    most = np.zeros(len(area_stage), dtype=np.int64)
    np.maximum.at(most, g_area_stage, g_classes)
    as_stage = area_stage % len(stages)
    schools_per = -(-most // np.array([s.classes_per_grade for s in stages])[as_stage])
    first_school = group_starts(schools_per)
    sc_as = np.repeat(np.arange(len(area_stage)), schools_per)
    sc_n = len(sc_as)
    sc_area = area_stage[sc_as] // len(stages)
    sc_stage = as_stage[sc_as]
    sc_local = sc_area < s_n
    sc_area_index = np.where(sc_local, sc_area, sc_area - s_n)
    sc_district = np.where(sc_local, areas.district_of_sub[np.where(sc_local, sc_area, 0)],
                           sc_area_index)
    sc_comm = area_community(rng, areas, sc_local, sc_area_index)
    sc_lon, sc_lat = point_in(rng, areas.comm_rect, sc_comm)
    bases = tuple(areas.sub_base) + tuple(areas.district_base)
    sc_name = Joined((Categorical(bases, sc_area.astype(np.int32)), constant_text(" No. ", sc_n),
                      number_texts(positions_within(schools_per) + 1), constant_text(" ", sc_n),
                      Categorical(tuple(s.label for s in stages), sc_stage.astype(np.int8))))
    tables["school"] = {
        "id": row_ids(sc_n),
        "name": sc_name,
        "kind": Categorical(tuple(s.kind for s in stages), sc_stage.astype(np.int8)),
        "community_id": ids_of(sc_comm),
        "lat": sc_lat,
        "lon": sc_lon,
    }

    # Classes of a grade are dealt out to the schools of the area in turn.
    cl_group = np.repeat(np.arange(len(groups)), g_classes)
    cl_k = positions_within(g_classes)
    per = schools_per[g_area_stage[cl_group]]
    cl_school = first_school[g_area_stage[cl_group]] + cl_k % per
    cl_number = cl_k // per + 1
    cl_grade = g_grade[cl_group]
    cl_stage = g_stage[cl_group]
    cl_order = np.lexsort((cl_number, cl_grade, cl_school))
    class_id_of = np.empty(len(cl_order), dtype=np.int64)
    class_id_of[cl_order] = np.arange(len(cl_order))
    labels = rules.KINDERGARTEN_CLASS_NAMES + tuple(f"Grade {g} Class" for g in range(1, 13))
    kindergarten_labels = len(rules.KINDERGARTEN_CLASS_NAMES)
    label = np.where(cl_stage == 0, cl_grade - 1, kindergarten_labels + cl_grade - 1)
    cl_n = len(cl_order)
    tables["school_class"] = {
        "id": row_ids(cl_n),
        "school_id": ids_of(cl_school[cl_order]),
        "grade": cl_grade[cl_order].astype(np.int32),
        "name": Joined((Categorical(labels, label[cl_order].astype(np.int8)),
                        constant_text(" ", cl_n), number_texts(cl_number[cl_order]))),
    }
    # Pupils of one grade in one area are spread evenly over its classes.
    group_of_pupil = np.repeat(np.arange(len(groups)), g_count)
    rank = np.arange(len(pupils)) - g_start[group_of_pupil]
    first_class = group_starts(g_classes)
    pupil_class = class_id_of[first_class[group_of_pupil]
                              + rank * g_classes[group_of_pupil] // g_count[group_of_pupil]]
    classes_of_school = np.bincount(cl_school, minlength=sc_n)
    return Schools(sc_district, sc_comm, sc_lat, sc_lon, sc_name, classes_of_school,
                   group_starts(classes_of_school), pupils, pupil_class)


def class_memberships(schools: Schools, teachers: Teachers,
                      tables: dict[str, TableColumns]) -> None:
    """Pupils and their class teacher, class by class, teacher first."""
    m_class = np.concatenate([teachers.school_class, schools.pupil_class])
    m_resident = np.concatenate([teachers.resident, schools.pupil])
    m_teacher = np.concatenate([np.ones(len(teachers.resident), dtype=np.int8),
                                np.zeros(len(schools.pupil), dtype=np.int8)])
    # One sort of unique packed keys (class, teacher first, resident) orders the rows.
    packed = np.sort((((m_class << 1) | (1 - m_teacher)) << RESIDENT_BITS) | m_resident)
    m_n = len(packed)
    tables["class_membership"] = {
        "id": row_ids(m_n),
        "school_class_id": ids_of(packed >> (RESIDENT_BITS + 1)),
        "resident_id": ids_of(packed & ((1 << RESIDENT_BITS) - 1)),
        "role": Categorical(("pupil", "teacher"),
                            (1 - ((packed >> RESIDENT_BITS) & 1)).astype(np.int8)),
        "start_date": np.full(m_n, REFERENCE_DAY),
        "end_date": Nullable(np.full(m_n, REFERENCE_DAY), np.ones(m_n, dtype=bool)),
    }
