"""The manifest of domains: every part is found through it, lowest domain first."""

from __future__ import annotations

from pathlib import Path

import epidesk
from epidesk.kit import domains

SRC = Path(epidesk.__file__).parent


def test_every_domain_package_is_in_the_manifest_and_nothing_else() -> None:
    listed = {d.name for d in domains.DOMAINS}
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    shared = {"kit", "web", "migrations"}
    assert listed == packages - shared


def test_parts_are_found_by_convention() -> None:
    api = [d.name for d, _ in domains.parts("api")]
    assert api == [d.name for d in domains.DOMAINS if (SRC / d.name / "api.py").exists()]
    assert "synth" not in api
    cli = {d.cli_name for d, _ in domains.parts("cli")}
    assert {"trace", "users", "cases", "synth"} <= cli


def test_template_folders_are_each_domains() -> None:
    folders = [Path(f).parent.name for f in domains.template_folders()]
    assert folders == [d.name for d in domains.DOMAINS if (SRC / d.name / "templates").is_dir()]


def test_the_schema_holds_every_domains_tables() -> None:
    tables = domains.load_models().tables
    assert {"resident", "auth_user", "tube", "case_episode", "contact",
            "event_cursor"} <= set(tables)
