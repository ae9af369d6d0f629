"""The synthetic city as numpy column arrays, table by table: no session, no I/O.

Every step is vectorised over all rows of a table; Python loops run over short lists
(building types, school stages, place names, communities), never over residents or
households. Each part of the city draws from its own random stream spawned from the
seed, so the same seed always gives the same city, whatever database it is written to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from epidesk.kit.bulk import Categorical, Column
from epidesk.synth import rules as synth_rules
from epidesk.synth.city import rules
from epidesk.synth.city.places.engine import build_areas, build_dwellings, build_venues
from epidesk.synth.city.residents.engine import build_residents, household_sizes
from epidesk.synth.city.schools.engine import build_schools, class_memberships
from epidesk.synth.city.workplaces.engine import build_work
from epidesk.synth.engine import Step, TableColumns

# Tables in an order that satisfies every foreign key.
TABLE_ORDER = (
    "city", "district", "subdistrict", "community", "building", "unit", "address",
    "household", "resident", "household_membership", "school", "school_class",
    "class_membership",
    "workplace", "work_group", "work_group_membership", "venue",
)
GENERATION_STEPS = ("areas", "households", "dwellings", "residents", "schools", "work",
                    "venues")


@dataclass
class GeneratedCity:
    """Every table of one synthetic city as columns, in foreign-key order."""

    name: str
    people: int
    seed: int
    tables: dict[str, TableColumns]

    def rows(self) -> dict[str, int]:
        """Row count of each table."""
        return {name: _length(next(iter(cols.values()))) for name, cols in self.tables.items()}


def _length(column: Column) -> int:
    return len(column)


# ------------------------------------------------------------------ the whole city


def iter_tables(people: int, seed: int, *, step: Step | None = None) -> Iterator[
        tuple[str, TableColumns]]:
    """Generate the tables of a synthetic city, yielding each in TABLE_ORDER once complete."""
    people = rules.validate_people(people)
    seed = synth_rules.validate_seed(seed)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    tables: dict[str, TableColumns] = {}
    position = 0

    def ready(name: str) -> Iterator[tuple[str, TableColumns]]:
        nonlocal position
        if step is not None:
            step(name)
        while position < len(TABLE_ORDER) and TABLE_ORDER[position] in tables:
            table = TABLE_ORDER[position]
            position += 1
            yield table, tables.pop(table)

    areas = build_areas(streams[0], people, tables)
    yield from ready("areas")
    hh_size, hh_comm = household_sizes(streams[1], areas.comm_pop)
    yield from ready("households")
    build_dwellings(streams[2], areas, hh_comm, hh_size, tables)
    yield from ready("dwellings")
    residents = build_residents(streams[3], areas, hh_comm, hh_size, tables)
    del hh_size, hh_comm
    yield from ready("residents")
    schools = build_schools(streams[4], areas, residents, tables)
    yield from ready("schools")
    teachers = build_work(streams[5], areas, residents, schools, tables)
    class_memberships(schools, teachers, tables)
    del residents, schools, teachers
    yield from ready("work")
    build_venues(streams[6], areas, tables)
    yield from ready("venues")


def city_name(city_table: TableColumns) -> str:
    """The name of the home city (the first row of the city table)."""
    name = city_table["name"]
    assert isinstance(name, Categorical)
    return name.vocabulary[int(np.asarray(name.codes)[0])]


def generate_city(people: int, seed: int, *, step: Step | None = None) -> GeneratedCity:
    """Generate every table of a synthetic city of `people` residents from `seed`."""
    tables = dict(iter_tables(people, seed, step=step))
    return GeneratedCity(city_name(tables["city"]), int(people), int(seed), tables)
