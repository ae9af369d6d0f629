"""The manifest of domains: adding a domain is one entry in DOMAINS.

Each domain is a package `epidesk.<name>` holding some of the template's files
(models, service, api, pages, cli, templates, ...). The application, the command line,
the templates, the schema and retention find a domain's parts here, by convention:
nothing else lists the domains.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the command line lists sub-commands without loading SQLAlchemy
    from sqlalchemy import MetaData


@dataclass(frozen=True)
class Domain:
    """One domain package; `command` is its CLI name when it differs from the package's."""

    name: str
    command: str | None = None
    # Topics of lower domains whose events this domain pulls (see kit.events).
    follows: tuple[str, ...] = ()
    # Of those, the topics it may pull after the writer's transaction commits, in a
    # transaction of its own (figures derived from the events, not the writer's record).
    after_commit: tuple[str, ...] = ()

    @property
    def cli_name(self) -> str:
        """The name of the domain's sub-command (`epidesk <cli_name> ...`)."""
        return self.command or self.name


# Lowest first: a domain may import only those listed before it (checked by import-linter;
# the order is written out again in `.importlinter`).
DOMAINS: tuple[Domain, ...] = (
    Domain("geography"),
    Domain("auth", command="users"),
    Domain("policy"),
    Domain("people"),
    Domain("messages"),
    Domain("testing"),
    Domain("cases", follows=("testing",)),
    Domain("tracing", command="trace"),
    Domain("zoning", command="zones", follows=("testing",), after_commit=("testing",)),
    Domain("quarantine"),
    Domain("supplies"),
    Domain("certificates"),
    Domain("vaccination"),
    Domain("hotline"),
    Domain("transparency"),
    Domain("synth"),
    Domain("command"),
)


@cache
def has_part(domain: str, part: str) -> bool:
    """Whether `epidesk.<domain>.<part>` exists (found without importing it)."""
    return importlib.util.find_spec(f"epidesk.{domain}.{part}") is not None


def parts(part: str) -> list[tuple[Domain, ModuleType]]:
    """Every domain's module `part` (e.g. "api", "models"), imported, lowest domain first."""
    return [(d, importlib.import_module(f"epidesk.{d.name}.{part}"))
            for d in DOMAINS if has_part(d.name, part)]


def offered(part: str, name: str) -> list[Any]:
    """What each domain's module `part` offers under `name` (e.g. deps.person_panel),
    lowest domain first; domains that offer nothing are skipped."""
    return [found for _, module in parts(part)
            if (found := getattr(module, name, None)) is not None]


def template_folders() -> list[str]:
    """The templates folder of every domain that has one."""
    found = []
    for d in DOMAINS:
        folder = files("epidesk") / d.name / "templates"
        if folder.is_dir():
            found.append(str(folder))
    return found


def load_models() -> MetaData:
    """Import every domain's models (and the kit's) so Base.metadata holds the schema."""
    from epidesk.db import Base

    importlib.import_module("epidesk.kit.models")
    parts("models")
    return Base.metadata
