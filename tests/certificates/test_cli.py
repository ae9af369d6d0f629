"""`epidesk certificates` on a committed SQLite database; `verify` offline from files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from tests.factories import tiny_city

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    url = f"sqlite:///{tmp_path}/certificates.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        ids = {key: r.id for key, r in city.residents.items()}
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield ids
    monkeypatch.undo()
    dbmod.reset_engine()


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_keys_issue_export_and_verify_offline(city_db: dict[str, int], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch):
    made = run("certificates", "keys", "generate")
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    listed = run("certificates", "keys", "list")
    assert "active" in listed.output  # type: ignore[attr-defined]
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    issued = run("certificates", "issue", "vaccination", "--resident", str(city_db["li_na"]),
                 "--dose", "1", "--of", "2", "--product", "BBIBP-CorV", "--manufacturer",
                 "ORG-100020693", "--day", "2026-11-20", "--png", str(png), "--svg", str(svg))
    assert issued.exit_code == 0, issued.output  # type: ignore[attr-defined]
    text = issued.stdout.strip().splitlines()[-1]  # type: ignore[attr-defined]
    assert text.startswith("HC1:")
    assert png.read_bytes().startswith(b"\x89PNG") and "<svg" in svg.read_text()
    trust = tmp_path / "trust.json"
    assert run("certificates", "keys", "export-trust-list", "-o", str(trust)).exit_code == 0  # type: ignore[attr-defined]
    gateway = tmp_path / "gateway.json"
    assert run("certificates", "keys", "export-trust-list", "--gateway", "-o",
               str(gateway)).exit_code == 0  # type: ignore[attr-defined]
    assert isinstance(json.loads(gateway.read_text()), list)
    # Offline: no database at all.
    monkeypatch.setenv("EPIDESK_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    dbmod.reset_engine()
    held = tmp_path / "cert.txt"
    held.write_text(text + "\n")
    for source, trust_file in ((text, trust), (str(held), gateway), (str(png), trust)):
        result = run("certificates", "verify", "--json", "--trust-list", str(trust_file), source)
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        answer = json.loads(result.stdout)  # type: ignore[attr-defined]
        assert answer["valid"] is True and answer["reason"] == "valid"
        assert answer["name"]["fnt"] == "LI" and answer["dob"] == "1990-02-02"
    plain = run("certificates", "verify", "--trust-list", str(trust), str(png))
    assert plain.exit_code == 0 and "VALID" in plain.output  # type: ignore[attr-defined]
    late = run("certificates", "verify", "--json", "--at", "2031-01-01T00:00:00Z",
               "--trust-list", str(trust), text)
    assert late.exit_code == 1  # type: ignore[attr-defined]
    assert json.loads(late.stdout)["reason"].startswith("expired")  # type: ignore[attr-defined]
    early = run("certificates", "verify", "--json", "--at", "2020-01-01T00:00:00Z",
                "--trust-list", str(trust), text)
    assert json.loads(early.stdout)["step"] == "not_yet_valid"  # type: ignore[attr-defined]
    unknown = run("certificates", "verify", "--json", "--trust-list", str(gateway),
                  text[:-10] + "0000000000")
    assert unknown.exit_code == 1  # type: ignore[attr-defined]
    # Several at once: arguments and a file of one certificate to a line, one answer each
    # in order; the exit code is 0 only when every one is valid.
    several = tmp_path / "several.txt"
    several.write_text(f"{text}\n\n{text[:-10]}0000000000\n")
    both = run("certificates", "verify", "--json", "--trust-list", str(trust), text,
               str(several))
    assert both.exit_code == 1  # type: ignore[attr-defined]
    answers = [json.loads(line) for line in both.stdout.splitlines()]  # type: ignore[attr-defined]
    assert [a["valid"] for a in answers] == [True, True, False]
    assert answers[2]["step"] in {"base45", "zlib", "cose", "signature"}
    twice = run("certificates", "verify", "--trust-list", str(trust), text, str(held))
    assert twice.exit_code == 0 and twice.output.count("VALID") == 2  # type: ignore[attr-defined]
    bad_at = run("certificates", "verify", "--at", "yesterday", "--trust-list", str(trust), text)
    assert bad_at.exit_code == 2 and "--at" in bad_at.output  # type: ignore[attr-defined]


def test_revoked_certificates_fail_once_the_list_is_exported_again(city_db: dict[str, int],
                                                                    tmp_path: Path):
    assert run("certificates", "keys", "generate", "--usage", "vaccination").exit_code == 0  # type: ignore[attr-defined]
    issued = run("certificates", "issue", "vaccination", "--resident", str(city_db["zhao_lei"]),
                 "--dose", "3", "--of", "3", "--product", "CoronaVac", "--manufacturer",
                 "Sinovac", "--day", "2026-11-21")
    text = issued.stdout.strip().splitlines()[-1]  # type: ignore[attr-defined]
    identifier = issued.stderr.split("issued: ")[1].strip()  # type: ignore[attr-defined]
    assert run("certificates", "verify", text).exit_code == 0  # type: ignore[attr-defined]
    revoked = run("certificates", "revoke", identifier, "--reason", "issued in error")
    assert revoked.exit_code == 0, revoked.output  # type: ignore[attr-defined]
    again = run("certificates", "verify", "--json", text)
    assert again.exit_code == 1  # type: ignore[attr-defined]
    assert json.loads(again.stdout)["step"] == "revoked"  # type: ignore[attr-defined]
    rotated = run("certificates", "keys", "rotate")
    assert rotated.exit_code == 0  # type: ignore[attr-defined]
    assert run("certificates", "issue", "recovery", "--resident",
               str(city_db["zhao_lei"])).exit_code == 1  # type: ignore[attr-defined]
