"""The documentation: every relative link in README.md and docs/*.md leads to a file or
folder of the repository."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and [text](target "title"), and <a href="target">; not inside code.
INLINE = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HREF = re.compile(r"<a\s[^>]*href=\"([^\"]+)\"", re.IGNORECASE)
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def relative_links(text: str) -> list[str]:
    """The link targets of a Markdown text that point into the repository."""
    prose = CODE.sub("", text)
    targets = [*INLINE.findall(prose), *HREF.findall(prose), *REFERENCE.findall(prose)]
    return [t for t in targets
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE) and not t.startswith("#")]


def test_the_link_finder_finds_links() -> None:
    text = ("See [the guide](docs/GUIDE.md#start), [site](https://example.org), "
            "[top](#top) and `[code](not/a/link.md)`.\n\n[ref]: ../LICENSE\n")
    assert relative_links(text) == ["docs/GUIDE.md#start", "../LICENSE"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    links = relative_links(document.read_text(encoding="utf-8"))
    broken = []
    for link in links:
        path = unquote(link.split("#", 1)[0].split("?", 1)[0])
        target = (ROOT / path.lstrip("/")) if path.startswith("/") else (document.parent / path)
        if not target.resolve().exists() or ROOT not in target.resolve().parents:
            broken.append(link)
    assert not broken, f"{document.name}: {broken}"


def test_the_readme_links_to_the_architecture() -> None:
    assert "docs/ARCHITECTURE.md" in relative_links((ROOT / "README.md").read_text())
