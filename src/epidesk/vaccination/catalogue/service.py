"""Reading the product files: every file validated whole, a bad one named with its field."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from epidesk.errors import NotFoundError, PresetError
from epidesk.vaccination.catalogue.schemas import Product, Reasons

REASONS_FILE = "contraindications"


def products_dir() -> Path:
    """The folder of the shipped product files."""
    return Path(str(files("epidesk.vaccination") / "products"))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot be read ({exc})", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: invalid TOML: {exc}", file=str(path)) from None


def _invalid(path: Path, exc: ValidationError) -> PresetError:
    issues = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    text = "; ".join(f"{where}: {msg}" if where else msg for where, msg in issues[:5])
    return PresetError(f"{path}: {text}", file=str(path),
                       errors=[{"path": w, "message": m} for w, m in issues])


def read_product(path: Path) -> Product:
    """One product file, validated (PresetError naming the file and field)."""
    data = _read(path)
    if "key" in data:
        raise PresetError(f"{path}: key: unknown key (the key is the file name)",
                          file=str(path))
    try:
        return Product.model_validate({**data, "key": path.stem})
    except ValidationError as exc:
        raise _invalid(path, exc) from None


def read_reasons(path: Path) -> Reasons:
    """The reasons file, validated."""
    try:
        return Reasons.model_validate(_read(path))
    except ValidationError as exc:
        raise _invalid(path, exc) from None


def load_products(folder: Path | None = None) -> dict[str, Product]:
    """Every product file of the folder (the shipped one by default), by key."""
    where = folder or products_dir()
    return {p.stem: read_product(p) for p in sorted(where.glob("*.toml"))
            if p.stem != REASONS_FILE}


@cache
def products() -> dict[str, Product]:
    """The shipped products, read once per process."""
    return load_products()


@cache
def reasons() -> Reasons:
    """The shipped contraindications and deferrals."""
    return read_reasons(products_dir() / f"{REASONS_FILE}.toml")


def product(key: str) -> Product:
    """A shipped product by key, or NotFoundError listing the known ones."""
    found = products().get(key)
    if found is None:
        raise NotFoundError(f"no vaccine product {key!r} (known: {', '.join(products())})")
    return found
