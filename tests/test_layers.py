"""The layering contracts: `make lint` runs import-linter, which holds today and fails
on an upward import (checked on a copy of the package with one import added)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"),
                           "--no-cache"], cwd=src, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("layers") / "src"
    shutil.copytree(ROOT / "src" / "epidesk", src / "epidesk",
                    ignore=shutil.ignore_patterns("__pycache__", "presets", "templates"))
    return src


def test_the_contracts_hold(copy: Path) -> None:
    result = _lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    # A lower domain importing a higher one.
    ("geography/models.py", "import epidesk.tracing.service", "Domains depend downward"),
    # The kit importing a domain.
    ("kit/clock.py", "import epidesk.people.models", "Domains depend downward"),
    # A schema importing its domain's service.
    ("people/schemas.py", "import epidesk.people.service", "Inside a domain"),
    # A repository importing an engine.
    ("people/repository.py", "import epidesk.testing.engine", "never imports an engine"),
    # A repository querying another domain's table instead of calling its repository.
    ("testing/repository.py", "import epidesk.people.models", "Testing's repositories query"),
    ("testing/ingest/repository.py", "import epidesk.people.models",
     "Testing's repositories query"),
    ("cases/repository.py", "import epidesk.testing.models", "Cases' repository queries"),
    ("tracing/contacts/repository.py", "import epidesk.cases.models",
     "Tracing's repositories query"),
    ("tracing/graph/repository.py", "import epidesk.people.models",
     "Tracing's repositories query"),
])
def test_an_upward_import_breaks_a_contract(copy: Path, module: str, line: str,
                                            broken: str) -> None:
    target = copy / "epidesk" / module
    original = target.read_text()
    try:
        target.write_text(original + f"\n{line}  # noqa\n")
        result = _lint(copy)
    finally:
        target.write_text(original)
    assert result.returncode != 0
    assert broken in result.stdout
