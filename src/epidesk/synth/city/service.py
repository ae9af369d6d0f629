"""Use cases of the synthetic city: build one into the database."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError
from epidesk.kit import bulk
from epidesk.kit.bulk import Progress
from epidesk.kit.domains import load_models
from epidesk.synth import rules as synth_rules
from epidesk.synth.city import engine, repository, rules


@dataclass(frozen=True)
class CitySummary:
    """What `build_city` wrote and how long each phase took.

    On PostgreSQL the phases overlap (the next tables are generated and encoded while
    earlier ones are copied and indexed), so they add up to more than `seconds`.
    """

    city: str
    people: int
    seed: int
    backend: str
    rows: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    encode_seconds: float = 0.0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0
    seconds: float = 0.0


def city_tables() -> list[sa.Table]:
    """The tables a synthetic city fills, in foreign-key order."""
    metadata = load_models()
    return [metadata.tables[name] for name in engine.TABLE_ORDER]


def ensure_empty(session: Session, tables: list[sa.Table]) -> None:
    """Raise ConflictError when the database already holds a city or any of its rows."""
    existing = repository.first_city(session)
    if existing is not None:
        raise ConflictError(
            f"the database already holds the city {existing.name} ({existing.name_local}, "
            f"code {existing.code}, {existing.population:,} residents); a synthetic city "
            "is only built into an empty database"
        )
    occupied = repository.tables_with_rows(session, tables)
    if occupied:
        raise ConflictError(
            "the database holds no city but already has rows in "
            f"{', '.join(occupied)}; a synthetic city is only built into an empty database"
        )


def build_city(
    session: Session,
    *,
    people: int,
    seed: int,
    progress: Progress | None = None,
) -> CitySummary:
    """Generate a synthetic city of `people` residents from `seed` and write it (no commit).

    `progress(label, done, total)` hears of generation steps ("generate"), rows written
    per table and rebuilt keys and indexes ("indexes"); on PostgreSQL some calls come
    from the thread that generates.
    """
    people = rules.validate_people(people)
    seed = synth_rules.validate_seed(seed)
    tables = city_tables()
    ensure_empty(session, tables)
    started = time.perf_counter()
    steps = engine.GENERATION_STEPS
    done: list[str] = []
    names: list[str] = []

    def step(name: str) -> None:
        done.append(name)
        if progress is not None:
            progress("generate", len(done), len(steps))

    def source() -> bulk.TableSource:
        for table, columns in engine.iter_tables(people, seed, step=step):
            if table == "city":
                names.append(engine.city_name(columns))
            yield table, columns

    if progress is not None:
        progress("generate", 0, len(steps))
    report = bulk.load_tables(session, tables, source(), progress=progress)
    session.flush()
    return CitySummary(
        city=names[0],
        people=people,
        seed=seed,
        backend=session.get_bind().dialect.name,
        rows=report.rows,
        generate_seconds=round(report.source_seconds, 3),
        encode_seconds=round(report.encode_seconds, 3),
        copy_seconds=round(report.copy_seconds, 3),
        index_seconds=round(report.index_seconds, 3),
        seconds=round(time.perf_counter() - started, 3),
    )
