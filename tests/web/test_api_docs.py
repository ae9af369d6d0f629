"""The API documentation pages and the browser libraries behind them, served locally."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from epidesk.config import get_settings
from epidesk.kit import assets

HTML = {"Accept": "text/html"}
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


def references(html: str) -> list[str]:
    """Every address a page loads: src and href attributes, and Swagger UI's spec url."""
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_same_origin_files(anon_client: TestClient, page: str):
    r = anon_client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    found = references(r.text)
    assert found, "the page loads nothing"
    for address in found:
        parts = urlsplit(address)
        assert not parts.scheme and not parts.netloc and address.startswith("/"), address
    assert "http://" not in r.text and "https://" not in r.text
    assert "fonts.googleapis" not in r.text and "cdn." not in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for address in found:
        answer = anon_client.get(address)
        assert answer.status_code == 200, address
        kind = answer.headers["content-type"]
        if address.endswith(".js"):
            assert kind.startswith("text/javascript"), (address, kind)
        elif address.endswith(".css"):
            assert kind.startswith("text/css"), (address, kind)
        elif address.endswith(".png"):
            assert kind == "image/png", (address, kind)
        else:
            assert address == "/openapi.json" and kind == "application/json", address


def test_every_listed_asset_is_installed_and_served(anon_client: TestClient):
    assert assets.missing() == [], "run `make assets`"
    for package, files in assets.PACKAGES.items():
        for file in files:
            r = anon_client.get(assets.url(package, file))
            assert r.status_code == 200, (package, file)
            assert r.headers["content-type"].split(";")[0] == assets.MEDIA_TYPES[
                Path(file).suffix], file
            assert "max-age" in r.headers["cache-control"]


@pytest.mark.parametrize("address", [
    "/assets/swagger-ui-dist/package.json", "/assets/swagger-ui-dist/index.html",
    "/assets/redoc/%2e%2e/swagger-ui-dist/swagger-ui.css", "/assets/left-pad/index.js",
    "/assets/leaflet/dist/leaflet.js.map",
])
def test_only_listed_files_are_served(anon_client: TestClient, address: str):
    r = anon_client.get(address)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_chart_and_map_libraries_are_served(anon_client: TestClient):
    chart = anon_client.get("/assets/chart.js/dist/chart.umd.min.js")
    assert chart.status_code == 200 and "Chart" in chart.text[:5000]
    leaflet = anon_client.get("/assets/leaflet/dist/leaflet.css")
    assert leaflet.status_code == 200 and ".leaflet-container" in leaflet.text


@pytest.fixture
def no_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings that point at an empty folder, as before `make assets`."""
    monkeypatch.setenv("EPIDESK_ASSETS_DIR", str(tmp_path / "node_modules"))
    get_settings.cache_clear()
    yield tmp_path / "node_modules"
    monkeypatch.delenv("EPIDESK_ASSETS_DIR")
    get_settings.cache_clear()


def test_a_missing_install_is_named_not_a_crash(
    no_install: Path, anon_client: TestClient, caplog: pytest.LogCaptureFixture
):
    from epidesk.app import create_app

    with caplog.at_level(logging.WARNING, logger="epidesk.kit.assets"):
        create_app()
    assert "make assets" in caplog.text and str(no_install) in caplog.text

    api = anon_client.get("/docs")
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert "make assets" in api.json()["detail"]
    page = anon_client.get("/redoc", headers=HTML)
    assert page.status_code == 503 and "make assets" in page.text
    file = anon_client.get("/assets/leaflet/dist/leaflet.js")
    assert file.status_code == 503 and "make assets" in file.json()["detail"]


def test_assets_folder_defaults_to_the_checkout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EPIDESK_ASSETS_DIR", raising=False)
    get_settings.cache_clear()
    try:
        folder = assets.folder()
    finally:
        get_settings.cache_clear()
    assert folder.name == "node_modules"
    assert (folder.parent / "package-lock.json").is_file()
