"""Finding, reading and caching preset files; the active preset.

Presets are files, not database rows, so these use cases take no session. Shipped
presets live in `epidesk/policy/presets/`; users add folders through
EPIDESK_PRESET_DIRS. A name is the file name without `.toml` and must be unique
across all folders: a user file named like a shipped preset (or like another user
file) is an error, never a silent override. Any file can still be loaded by its path.
A preset may start with `extends = "other-name"` and give only the tables it
changes; each record it changes must state its own `source` and `confirmed`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from epidesk.config import get_settings
from epidesk.errors import PresetError, UnknownPresetError
from epidesk.policy.rules import Difference, preset_diff
from epidesk.policy.schemas import (
    NAME_PATTERN,
    RESERVED_NAMES,
    Preset,
    PresetSummary,
    format_path,
)

SHIPPED_DIR = Path(__file__).with_name("presets")
SUFFIX = ".toml"
LOADER_KEYS = ("name", "file", "shipped")
MAX_REPORTED = 8
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


@dataclass(frozen=True)
class PresetFile:
    """A preset file found in a folder."""

    name: str
    path: Path
    shipped: bool


@dataclass(frozen=True)
class _Cached:
    stamps: tuple[tuple[Path, int, int], ...]
    preset: Preset


_cache: dict[tuple[Path, tuple[Path, ...]], _Cached] = {}
_lock = threading.Lock()


def _folders(dirs: Sequence[Path] | None) -> list[Path]:
    return list(get_settings().preset_dirs if dirs is None else dirs)


def preset_files(*, dirs: Sequence[Path] | None = None) -> list[PresetFile]:
    """Every preset file: the shipped ones, then the user folders (EPIDESK_PRESET_DIRS)."""
    found: list[PresetFile] = []
    seen: dict[str, Path] = {}
    folders = [(SHIPPED_DIR, True)] + [(Path(d), False) for d in _folders(dirs)]
    for folder, shipped in folders:
        if not folder.is_dir():
            raise PresetError(
                f"preset folder {folder} does not exist or is not a folder (EPIDESK_PRESET_DIRS)"
            )
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            name = path.stem
            if name in seen:
                raise PresetError(
                    f"preset name {name!r} is used by two files: {seen[name]} and {path}; "
                    "names must be unique (rename the user file, or load it by its path)"
                )
            seen[name] = path
            found.append(PresetFile(name=name, path=path, shipped=shipped))
    return found


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    return name_or_path.endswith(SUFFIX) or "/" in name_or_path or os.sep in name_or_path


def _find(name: str, dirs: Sequence[Path] | None) -> PresetFile:
    files = preset_files(dirs=dirs)
    for entry in files:
        if entry.name == name:
            return entry
    known = ", ".join(entry.name for entry in files)
    raise UnknownPresetError(f"unknown preset {name!r}; known presets: {known}")


def load_preset(name_or_path: str | Path, *, dirs: Sequence[Path] | None = None) -> Preset:
    """A preset by name (shipped or in the user folders) or by the path of its file."""
    if _is_path(name_or_path):
        path = Path(name_or_path)
        return _load(path, shipped=_is_shipped(path), dirs=dirs)
    return get_preset(str(name_or_path), dirs=dirs)


def get_preset(name: str, *, dirs: Sequence[Path] | None = None) -> Preset:
    """A preset by name only; paths are refused (for the API and the pages)."""
    if not NAME_PATTERN.match(name):
        raise UnknownPresetError(f"unknown preset {name!r}: not a preset name")
    entry = _find(name, dirs)
    return _load(entry.path, shipped=entry.shipped, dirs=dirs)


def active_preset() -> Preset:
    """The preset named by the settings (EPIDESK_PRESET)."""
    return load_preset(get_settings().preset)


def list_presets(*, dirs: Sequence[Path] | None = None) -> list[PresetSummary]:
    """Every preset file with its metadata; a file that does not load shows its error."""
    out: list[PresetSummary] = []
    # A broken file is listed with its error, not raised, so that it hides no other.
    for entry in preset_files(dirs=dirs):
        try:
            preset = _load(entry.path, shipped=entry.shipped, dirs=dirs)
        except PresetError as exc:
            out.append(PresetSummary(name=entry.name, file=str(entry.path),
                                     shipped=entry.shipped, error=exc.detail))
            continue
        out.append(
            PresetSummary(
                name=preset.name, file=preset.file, shipped=preset.shipped, title=preset.title,
                date=preset.date, extends=preset.extends, unconfirmed=len(preset.unconfirmed()),
            )
        )
    return sorted(out, key=lambda s: (not s.shipped, s.date or dt.date.max, s.name))


def published_presets(*, dirs: Sequence[Path] | None = None) -> list[PresetSummary]:
    """The presets as the API and the pages show them: file names, never server folders."""
    with _folders_hidden(dirs):
        listed = list_presets(dirs=dirs)
    return [entry.model_copy(update={
        "file": Path(entry.file).name,
        "error": entry.error and hide_folders(entry.error, dirs=dirs),
    }) for entry in listed]


def published_preset(name: str, *, dirs: Sequence[Path] | None = None) -> Preset:
    """A preset by name as the API and the pages show it: its file name, no server folder."""
    with _folders_hidden(dirs):
        preset = get_preset(name, dirs=dirs)
    return preset.model_copy(update={"file": Path(preset.file).name})


def hide_folders(text: str, *, dirs: Sequence[Path] | None = None) -> str:
    """The text with the preset folders removed from every file path it names."""
    for folder in sorted({SHIPPED_DIR, *(Path(d) for d in _folders(dirs))},
                         key=lambda f: -len(str(f))):
        for shown in {str(folder.resolve()), str(folder)}:
            text = text.replace(shown.rstrip(os.sep) + os.sep, "")
    return text


@contextmanager
def _folders_hidden(dirs: Sequence[Path] | None) -> Iterator[None]:
    try:
        yield
    except PresetError as exc:
        exc.detail = hide_folders(exc.detail, dirs=dirs)
        exc.args = (exc.detail,)
        if isinstance(exc.extra.get("file"), str):
            exc.extra["file"] = Path(exc.extra["file"]).name
        raise


def diff_presets(
    a: str | Path, b: str | Path, *, dirs: Sequence[Path] | None = None,
    include_provenance: bool = False,
) -> list[Difference]:
    """The values that differ between two presets (by name or path)."""
    return preset_diff(
        load_preset(a, dirs=dirs), load_preset(b, dirs=dirs),
        include_provenance=include_provenance,
    )


def clear_cache() -> None:
    """Forget every preset read so far."""
    with _lock:
        _cache.clear()


# ------------------------------------------------------------------------------ reading


def _is_shipped(path: Path) -> bool:
    try:
        return path.resolve().parent == SHIPPED_DIR.resolve()
    except OSError:
        return False


def _stamp(path: Path) -> tuple[Path, int, int]:
    stat = path.stat()
    return (path.resolve(), stat.st_mtime_ns, stat.st_size)


def _load(path: Path, *, shipped: bool, dirs: Sequence[Path] | None) -> Preset:
    folders = tuple(Path(d).resolve() for d in _folders(dirs))
    if not path.is_file():
        raise UnknownPresetError(f"{path}: no such preset file")
    key = (path.resolve(), folders)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        try:
            fresh = all(_stamp(stamp[0]) == stamp for stamp in cached.stamps)
        except OSError:
            fresh = False
        if fresh:
            return cached.preset
    stamps: list[tuple[Path, int, int]] = []
    preset = _read(path, shipped=shipped, dirs=dirs, chain=[], stamps=stamps)
    with _lock:
        _cache[key] = _Cached(stamps=tuple(stamps), preset=preset)
    return preset


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PresetError(f"{path}: not UTF-8 text (byte {exc.start})", file=str(path)) from None
    except OSError as exc:
        raise PresetError(f"{path}: cannot be read ({exc.strerror})", file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            line, column = position.groups()
            message = _TOML_POSITION.sub("", message)
            where = f"line {line}, column {column}"
        else:
            message = _TOML_END.sub("", message)
            where = f"line {text.count(chr(10)) + 1} (end of file)"
        raise PresetError(
            f"{path}: {where}: invalid TOML: {message}", file=str(path)
        ) from None


def _read(
    path: Path, *, shipped: bool, dirs: Sequence[Path] | None, chain: list[Path],
    stamps: list[tuple[Path, int, int]],
) -> Preset:
    stamps.append(_stamp(path))
    name = path.stem
    if not NAME_PATTERN.match(name) or name in RESERVED_NAMES:
        raise PresetError(
            f"{path}: {name!r} is not a valid preset name (the file name without .toml: "
            "lower-case letters, digits, '-' and '_'; not 'diff')",
            file=str(path),
        )
    data = _parse(path)
    for key in LOADER_KEYS:
        if key in data:
            raise PresetError(
                f"{path}: {key}: unknown key ({key} comes from the file, not from its content)",
                file=str(path),
            )
    extends = data.get("extends")
    if extends is not None:
        data = _extend(path, data, dirs=dirs, chain=[*chain, path.resolve()], stamps=stamps)
    try:
        return Preset.model_validate({**data, "name": name, "file": str(path), "shipped": shipped})
    except ValidationError as exc:
        raise _validation_error(path, exc) from None


def _extend(
    path: Path, data: dict[str, Any], *, dirs: Sequence[Path] | None, chain: list[Path],
    stamps: list[tuple[Path, int, int]],
) -> dict[str, Any]:
    parent_name = data["extends"]
    if not isinstance(parent_name, str) or not NAME_PATTERN.match(parent_name):
        raise PresetError(f"{path}: extends: {parent_name!r} is not a preset name",
                          file=str(path))
    for key in ("title", "date", "summary"):
        if key not in data:
            raise PresetError(
                f"{path}: {key}: required field is missing (an extending preset states its own)",
                file=str(path),
            )
    try:
        entry = _find(parent_name, dirs)
    except UnknownPresetError as exc:
        raise PresetError(f"{path}: extends: {exc.detail}", file=str(path)) from None
    if entry.path.resolve() in chain:
        cycle = " -> ".join(p.stem for p in [*chain, entry.path])
        raise PresetError(f"{path}: extends: circular ({cycle})", file=str(path))
    parent = _read(entry.path, shipped=entry.shipped, dirs=dirs, chain=chain, stamps=stamps)
    base = parent.model_dump(exclude={"name", "file", "shipped", "extends"}, exclude_none=True)
    problems: list[str] = []
    merged = _merge(base, data, (), problems, parent_name)
    if problems:
        raise PresetError(f"{path}: " + "; ".join(problems), file=str(path))
    return merged


def _merge(
    base: dict[str, Any], override: dict[str, Any], at: tuple[str | int, ...],
    problems: list[str], parent_name: str,
) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        current = base.get(key)
        where = (*at, key)
        if isinstance(current, dict) and isinstance(value, dict):
            if "source" in current and not {"source", "confirmed"} <= value.keys():
                problems.append(
                    f"{format_path(where)}: changes a record of {parent_name} without stating "
                    "its own source and confirmed"
                )
            out[key] = _merge(current, value, where, problems, parent_name)
        else:
            out[key] = value
    return out


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    loc: list[str | int] = list(error["loc"])
    kind = error["type"]
    if kind == "preset_rule":
        at = error["ctx"]["at"]
        path = format_path(loc)
        return (f"{path}.{at}" if path and not at.startswith("[") else path + at), error["msg"]
    if loc and loc[-1] == "[key]":
        loc.pop()
        return format_path(loc), f"not an allowed name: {error['msg']}"
    if kind == "missing":
        return format_path(loc), "required field is missing"
    if kind == "extra_forbidden":
        return format_path(loc), "unknown key"
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return format_path(loc), f"{error['msg']} (got {shown})"


def _validation_error(path: Path, exc: ValidationError) -> PresetError:
    issues = [_describe(dict(error)) for error in exc.errors(include_url=False)]
    parts = [f"{where}: {message}" if where else message for where, message in issues]
    shown = "; ".join(parts[:MAX_REPORTED])
    if len(parts) > MAX_REPORTED:
        shown += f"; and {len(parts) - MAX_REPORTED} more"
    return PresetError(
        f"{path}: {shown}",
        file=str(path),
        errors=[{"path": where, "message": message} for where, message in issues],
    )
