"""`epidesk people` on a committed SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.migrate import upgrade
from tests.factories import TinyCity, tiny_city

runner = CliRunner()


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    """A migrated SQLite file holding the tiny city, and the ids tests need."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/people.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        t: TinyCity = tiny_city(session)
        ids = {key: r.id for key, r in t.residents.items()}
        ids["household_wang"] = t.households["wang"].id
        ids["household_pine"] = t.households["pine"].id
        session.commit()
    engine.dispose()
    return url, ids


@pytest.fixture
def cli_env(city_db: tuple[str, dict[str, int]], monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[dict[str, int]]:
    url, ids = city_db
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "160")
    dbmod.reset_engine()
    yield ids
    monkeypatch.undo()
    dbmod.reset_engine()


def test_search_prints_a_table(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "search", "wang xiu"])
    assert result.exit_code == 0, result.output
    assert "王秀兰" in result.output and "Wang Xiuying" in result.output
    assert "pregnant" in result.output
    assert "Willow Court" in result.output
    assert "王芳" not in result.output


def test_search_pages(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "search", "wang", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "showing 1-2 of 4; use --limit/--offset (next: --offset 2)" in result.output
    rest = runner.invoke(app, ["people", "search", "wang", "--limit", "2", "--offset", "2"])
    assert "showing 3-4 of 4" in rest.output and "next" not in rest.output
    assert "Wang Xiuying" in rest.output
    beyond = runner.invoke(app, ["people", "search", "wang", "--offset", "10"])
    assert beyond.exit_code == 0 and "nothing from row 11 on: 4 in all" in beyond.output


def test_search_without_match(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "search", "nobody"])
    assert result.exit_code == 0
    assert "no resident matches 'nobody'" in result.output


def test_search_refuses_a_limit_over_the_cap(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "search", "wang", "--limit", "500"])
    assert result.exit_code == 2


def test_show(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "show", str(cli_env["wang_xiulan"])])
    assert result.exit_code == 0, result.output
    assert "王秀兰" in result.output
    assert "Flat 101, Unit 1, Building 1, Willow Court" in result.output
    assert "柳园小区1号楼1单元101室" in result.output
    assert "Dyeing shift A" in result.output
    assert "王秀英" in result.output  # household member


def test_household(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "household", str(cli_env["household_wang"])])
    assert result.exit_code == 0, result.output
    assert "home quarantine: suitable" in result.output
    assert "infant (under 3)" in result.output


def test_move_records_a_new_household(cli_env: dict[str, int]):
    zhao, pine = str(cli_env["zhao_lei"]), str(cli_env["household_pine"])
    result = runner.invoke(app, ["people", "move", zhao, pine, "--on", "2020-01-01"])
    assert result.exit_code == 0, result.output
    assert f"resident {zhao} lives in household {pine} from 2020-01-01" in result.output
    shown = runner.invoke(app, ["people", "show", zhao])
    assert shown.exit_code == 0, shown.output
    assert "(2020-01-01 to now)" in shown.output and "(1940-01-01 to 2019-12-31)" in shown.output
    assert "王芳" in shown.output  # now living with Wang Fang
    again = runner.invoke(app, ["people", "move", zhao, pine, "--on", "2021-01-01"])
    assert again.exit_code != 0
    assert isinstance(again.exception, ValidationFailedError)
    assert "already lives in household" in str(again.exception)


def test_show_unknown_resident(cli_env: dict[str, int]):
    result = runner.invoke(app, ["people", "show", "999999"])
    assert result.exit_code != 0
    assert isinstance(result.exception, NotFoundError)


def test_unknown_resident_is_one_clear_line(city_db: tuple[str, dict[str, int]]):
    url, _ = city_db
    env = {**os.environ, "EPIDESK_DATABASE_URL": url}
    epidesk = Path(sys.executable).with_name("epidesk")
    done = subprocess.run([str(epidesk), "people", "show", "999999"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "resident 999999 not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_register_find_the_duplicate_and_merge_it(cli_env: dict[str, int]):
    wang = str(cli_env["household_wang"])
    bad = runner.invoke(app, ["people", "register", "--name", "王秀英", "--latin", "Wang Xiuying",
                              "--sex", "F", "--born", "1950-03-01", "--kind", "migrant_worker",
                              "--source", "hotline", "--household", wang])
    assert isinstance(bad.exception, ValidationFailedError)
    assert "id_number" in str(bad.exception)
    result = runner.invoke(app, ["people", "register", "--name", "王秀英", "--latin",
                                 "Wang Xiuying", "--sex", "F", "--born", "1950-03-01",
                                 "--kind", "other", "--source", "hotline", "--household", wang,
                                 "--since", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert f"in household {wang}" in result.output
    twin = int(result.output.split("registered resident ")[1].split()[0])
    listed = runner.invoke(app, ["people", "duplicates"])
    assert listed.exit_code == 0, listed.output
    assert f"{twin} 王秀英" in listed.output
    assert "same name, birth date and address" in listed.output
    survivor = str(cli_env["wang_xiuying"])
    merged = runner.invoke(app, ["people", "merge", survivor, str(twin), "--reason",
                                 "the hotline entered her again"])
    assert merged.exit_code == 0, merged.output
    assert f"resident {twin} merged into {survivor}" in merged.output
    assert "household stay(s) moved" in merged.output
    shown = runner.invoke(app, ["people", "show", str(twin)])
    assert f"into resident {survivor}" in shown.output
    assert "no likely duplicates" in runner.invoke(app, ["people", "duplicates"]).output
