"""Fixtures of the policy tests: shipped presets and user preset files made from them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from epidesk.config import get_settings
from epidesk.policy import service
from epidesk.policy.schemas import Preset

WritePreset = Callable[..., Path]


@pytest.fixture(autouse=True)
def no_user_preset_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the shipped presets only, with fresh settings."""
    monkeypatch.delenv("EPIDESK_PRESET_DIRS", raising=False)
    monkeypatch.delenv("EPIDESK_PRESET", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def ninth() -> Preset:
    """The 9th edition preset."""
    return service.load_preset("cn-9th-2022")


@pytest.fixture(scope="session")
def twenty() -> Preset:
    """The 20 measures preset."""
    return service.load_preset("cn-20-measures-2022")


@pytest.fixture(scope="session")
def ten() -> Preset:
    """The 10 measures preset."""
    return service.load_preset("cn-10-measures-2022")


def shipped_text(name: str) -> str:
    """The text of a shipped preset file."""
    return (service.SHIPPED_DIR / f"{name}.toml").read_text(encoding="utf-8")


@pytest.fixture
def write_preset(tmp_path: Path) -> WritePreset:
    """Write a user preset: a shipped one with text replaced (each old text must occur)."""

    def write(
        name: str = "my",
        *,
        base: str = "cn-9th-2022",
        replace: list[tuple[str, str]] | None = None,
        text: str | None = None,
        folder: Path | None = None,
    ) -> Path:
        body = shipped_text(base) if text is None else text
        for old, new in replace or []:
            assert old in body, f"{old!r} is not in {base}"
            body = body.replace(old, new, 1)
        target = (folder or tmp_path) / f"{name}.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        return target

    return write
