"""Building a synthetic city into the database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from epidesk.db import make_engine
from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.migrate import upgrade
from epidesk.synth.city import repository, rules
from epidesk.synth.city.service import build_city, city_tables

PEOPLE = 2_000


def digest(session: Session) -> str:
    """A hash of every row of every city table, in id order, as SQLAlchemy reads them."""
    h = hashlib.sha256()
    for table in city_tables():
        for row in session.execute(sa.select(table).order_by(table.c.id)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def counts(session: Session) -> dict[str, int]:
    return repository.row_counts(session, city_tables())


def scalar(session: Session, sql: str) -> Any:
    return session.execute(sa.text(sql)).scalar_one()


@pytest.fixture
def built(db: Session) -> tuple[Session, Any]:
    """The test's session holding a freshly built city."""
    return db, build_city(db, people=PEOPLE, seed=42)


def test_summary_matches_what_the_database_holds(built: tuple[Session, Any],
                                                 backend: str) -> None:
    db, summary = built
    assert summary.backend == backend
    assert summary.people == PEOPLE and summary.seed == 42
    assert summary.rows == counts(db)
    assert summary.rows["resident"] == PEOPLE
    assert summary.rows["city"] == 5
    assert summary.seconds >= 0
    home = repository.first_city(db)
    assert home is not None and home.kind == "home" and home.name == summary.city
    assert home.population == PEOPLE


def test_population_columns_hold_resident_counts(built: tuple[Session, Any]) -> None:
    db, _ = built
    assert scalar(db, """
        SELECT count(*) FROM community c
        WHERE c.population <> (SELECT count(*) FROM resident r WHERE r.community_id = c.id)
    """) == 0
    assert scalar(db, """
        SELECT count(*) FROM subdistrict s
        WHERE s.population <> (SELECT sum(c.population) FROM community c
                               WHERE c.subdistrict_id = s.id)
    """) == 0
    assert scalar(db, "SELECT sum(population) FROM district") == PEOPLE
    assert scalar(db, "SELECT count(*) FROM city WHERE kind = 'neighbour' AND distance_km > 0"
                  ) == 4


def test_hierarchy_holds_together(built: tuple[Session, Any]) -> None:
    db, _ = built
    assert scalar(db, """
        SELECT count(*) FROM resident r
        JOIN household h ON h.id = r.household_id
        JOIN address a ON a.id = h.address_id
        WHERE r.community_id <> h.community_id OR h.community_id <> a.community_id
    """) == 0
    assert scalar(db, """
        SELECT count(*) FROM address a JOIN unit u ON u.id = a.unit_id
        JOIN building b ON b.id = u.building_id WHERE b.community_id <> a.community_id
    """) == 0
    assert scalar(db, """
        SELECT count(*) FROM work_group_membership m
        LEFT JOIN work_group g ON g.id = m.work_group_id WHERE g.id IS NULL
    """) == 0
    assert scalar(db, """
        SELECT count(*) FROM class_membership m
        LEFT JOIN school_class c ON c.id = m.school_class_id WHERE c.id IS NULL
    """) == 0
    sizes = db.execute(sa.text(
        "SELECT min(n), max(n) FROM (SELECT count(*) AS n FROM work_group_membership "
        "GROUP BY work_group_id) AS g")).one()
    assert sizes[0] >= rules.WORK_GROUP_MIN and sizes[1] <= rules.WORK_GROUP_MAX


def test_each_class_holds_pupils_of_one_age(built: tuple[Session, Any]) -> None:
    db, _ = built
    ref = rules.REFERENCE_DATE
    ages: dict[int, set[int]] = {}
    teachers: dict[int, int] = {}
    rows = db.execute(sa.text(
        "SELECT m.school_class_id, m.role, r.birth_date FROM class_membership m "
        "JOIN resident r ON r.id = m.resident_id"))
    for class_id, role, birth in rows:
        birth = birth if isinstance(birth, date) else date.fromisoformat(birth)
        age = ref.year - birth.year - ((birth.month, birth.day) > (ref.month, ref.day))
        if role == "pupil":
            ages.setdefault(class_id, set()).add(age)
        else:
            teachers[class_id] = teachers.get(class_id, 0) + 1
            assert age >= rules.ADULT_AGE
    assert ages and all(len(a) == 1 for a in ages.values())
    assert set(teachers) == set(ages) and set(teachers.values()) == {1}


def test_identity_numbers_are_valid_and_unique(built: tuple[Session, Any]) -> None:
    db, _ = built
    numbers = db.scalars(sa.text("SELECT id_number FROM resident")).all()
    assert len(numbers) == PEOPLE == len(set(numbers))
    assert all(rules.is_valid_id_number(n) for n in numbers)


def test_vulnerable_residents_can_be_found(built: tuple[Session, Any]) -> None:
    db, _ = built
    living_alone = scalar(db, """
        SELECT count(*) FROM household h
        WHERE (SELECT count(*) FROM resident r WHERE r.household_id = h.id) = 1
    """)
    assert 0.15 < living_alone / scalar(db, "SELECT count(*) FROM household") < 0.35
    assert scalar(db, "SELECT count(*) FROM resident WHERE birth_date > '2025-09-01'") > 0
    elderly_without = scalar(db, "SELECT count(*) FROM resident "
                                 "WHERE birth_date < '1951-09-01' AND NOT has_smartphone")
    assert elderly_without > 0
    assert scalar(db, "SELECT count(*) FROM resident WHERE pregnant AND sex = 'M'") == 0


def test_a_few_residents_read_their_letters_in_english(built: tuple[Session, Any]) -> None:
    db, _ = built
    english = scalar(db, "SELECT count(*) FROM resident WHERE language = 'en'")
    assert 0 < english < 0.05 * scalar(db, "SELECT count(*) FROM resident")
    assert scalar(db, "SELECT count(*) FROM resident WHERE language NOT IN ('zh', 'en')") == 0


def test_a_second_city_is_refused_and_nothing_changes(built: tuple[Session, Any]) -> None:
    db, summary = built
    before = counts(db)
    with pytest.raises(ConflictError, match=f"already holds the city {summary.city}"):
        build_city(db, people=500, seed=1)
    assert counts(db) == before


@pytest.mark.parametrize("people", [0, -1, rules.MAX_PEOPLE + 1])
def test_bad_people_are_refused_before_anything_is_written(db: Session, people: int) -> None:
    with pytest.raises(ValidationFailedError, match="people must be"):
        build_city(db, people=people, seed=1)
    assert set(counts(db).values()) == {0}


def test_a_neighbour_city_alone_is_a_conflict_too(db: Session) -> None:
    db.execute(sa.text("INSERT INTO city (id, code, name, name_local, kind, centroid_lat, "
                       "centroid_lon, distance_km, population) "
                       "VALUES (9, 'N', 'Near', '近', 'neighbour', 0, 0, 1, 0)"))
    with pytest.raises(ConflictError, match="Near"):
        build_city(db, people=100, seed=1)
    assert counts(db)["resident"] == 0


def test_same_seed_same_rows_other_seed_other_rows(db: Session) -> None:
    digests = []
    for seed in (3, 3, 4):
        with db.begin_nested() as nested:
            build_city(db, people=1_000, seed=seed)
            digests.append(digest(db))
            nested.rollback()
    assert digests[0] == digests[1] != digests[2]
    assert set(counts(db).values()) == {0}


def test_the_same_city_on_sqlite_and_postgresql(fresh_database: Any) -> None:
    found = {}
    for backend in ("sqlite", "postgresql"):
        engine = make_engine(fresh_database(backend))
        try:
            upgrade(engine)
            with sessionmaker(bind=engine)() as session:
                build_city(session, people=1_500, seed=9)
                session.commit()
                found[backend] = digest(session)
        finally:
            engine.dispose()
    assert found["sqlite"] == found["postgresql"]


def test_a_failed_build_leaves_the_database_as_it_was(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from epidesk.kit import bulk
    from epidesk.kit.bulk import loader

    real = bulk.copy_rows
    written: list[str] = []

    def failing(session: Session, table: sa.Table, columns: Any, **kw: Any) -> int:
        if table.name == "resident":
            raise RuntimeError("disk full")
        written.append(table.name)
        return real(session, table, columns, **kw)

    monkeypatch.setattr(loader, "copy_rows", failing)
    monkeypatch.setattr(loader, "write_copy_chunks", _failing_chunks(bulk.write_copy_chunks))
    with pytest.raises(RuntimeError, match="disk full"), db.begin_nested():
        build_city(db, people=800, seed=1)
    assert set(counts(db).values()) == {0}


def _failing_chunks(real: Any) -> Any:
    def write(session: Session, target: Any, chunks: Any, **kw: Any) -> int:
        if target.table.name == "resident":
            raise RuntimeError("disk full")
        return int(real(session, target, chunks, **kw))

    return write
