"""Languages: every marked message has a Chinese translation; how a request's language
is chosen; days and numbers in each language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from epidesk.kit import i18n, languages

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted() -> dict[str, str]:
    """Every message marked in the templates and Python sources, with where it is."""
    with (ROOT / "babel.cfg").open() as handle:
        methods, options = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), methods, options, keywords=KEYWORDS, strip_comment_tags=True):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, f"{filename}:{lineno}")
    return found


def test_every_message_has_a_chinese_translation():
    messages = extracted()
    assert len(messages) > 500  # the templates and the labels are found
    with i18n.catalogue_path(i18n.CHINESE).open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    missing = []
    for key, where in sorted(messages.items(), key=lambda item: item[1]):
        entry = catalog.get(key)
        text = None if entry is None else (
            entry.string if isinstance(entry.string, str) else entry.string[0])
        if entry is None or entry.fuzzy or not text:
            missing.append(f"{where}: {key!r}")
    assert not missing, ("messages without a Chinese translation (run `make messages`, then "
                         "translate):\n" + "\n".join(missing))


def test_translations_keep_their_placeholders():
    import re

    with i18n.catalogue_path(i18n.CHINESE).open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    wrong = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        source = entry.id if isinstance(entry.id, str) else entry.id[1]
        text = entry.string if isinstance(entry.string, str) else entry.string[0]
        wanted = set(re.findall(r"%\((\w+)\)", source)) - {"num"}
        if wanted != set(re.findall(r"%\((\w+)\)", text)) - {"num"}:
            wrong.append(source)
    assert not wrong


def test_the_catalogues_compile_in_memory_and_translate():
    with i18n.using("zh"):
        assert i18n.gettext("Sign in") == "登录"
        assert i18n.gettext("Hotline: %(number)s", number="12345") == "热线电话：12345"
        assert str(i18n.lazy_gettext("close contact")) == "密切接触者"
    with i18n.using("en"):
        assert i18n.gettext("Sign in") == "Sign in"
    # Outside a request (the command line) the language is English.
    assert i18n.current() == i18n.ENGLISH


@pytest.mark.parametrize(("choice", "header", "expected"), [
    (None, None, "zh"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "fr-FR,fr;q=0.9,en;q=0.5,zh;q=0.4", "en"),
    (None, "fr-FR,zh-TW;q=0.8,en;q=0.5", "zh"),
    (None, "en;q=0,zh-CN;q=0.1", "zh"),
    (None, "de", "zh"),
    (None, "en;q=oops", "zh"),
    ("en", "zh-CN", "en"),
    ("zh", "en", "zh"),
    ("xx", "en", "en"),
])
def test_the_language_is_the_choice_else_the_browser_else_chinese(choice, header, expected):
    assert i18n.negotiate(choice, header) == expected


@pytest.mark.parametrize(("target", "expected"), [
    ("/people?q=wang", "/people?q=wang"), ("/", "/"), ("", "/"),
    ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"), ("people", "/"),
])
def test_only_local_paths_are_followed(target, expected):
    assert languages.local_path(target) == expected


def test_days_and_numbers_follow_the_language():
    with i18n.using("zh"):
        assert i18n.format_day(date(2022, 5, 3)) == "2022年5月3日"
        assert i18n.format_number(1234567) == "1,234,567"
    with i18n.using("en"):
        assert i18n.format_day(date(2022, 5, 3)) == "May 3, 2022"
    assert i18n.format_number("n/a") == "n/a"


def test_keys_read_as_words_in_both_languages():
    import epidesk.people.rules
    import epidesk.tracing.rules  # noqa: F401  (registers the settings and tiers)

    with i18n.using("en"):
        assert i18n.label("bus_station", "venue_kind") == "bus station"
        assert i18n.label("work_group", "setting") == "work group"
        assert i18n.label("sub_close", "tier") == "sub-close contact"
        assert i18n.label("something_new") == "something new"
    with i18n.using("zh"):
        assert i18n.label("bus_station", "venue_kind") == "汽车站"
        assert i18n.label("sub_close", "tier") == "次密切接触者"
