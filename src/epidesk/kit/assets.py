"""Browser libraries the platform serves itself, under /assets/<package>/<file>.

They come from the npm registry at set-up (`make assets`: exact versions pinned in
package.json and package-lock.json) into node_modules, never from a CDN and never
copied into the repository. Only the files listed in PACKAGES are served; the folder
they are read from is the setting `EPIDESK_ASSETS_DIR`.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from fastapi import APIRouter
from fastapi.responses import FileResponse

from epidesk.config import get_settings
from epidesk.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

PREFIX = "/assets"
INSTALL_HINT = "run `make assets` (npm ci) to install them, or set EPIDESK_ASSETS_DIR"

# Package -> the files of it that are served, relative to the package's folder.
PACKAGES: dict[str, frozenset[str]] = {
    # The API documentation pages, /docs (Swagger UI) and /redoc.
    "swagger-ui-dist": frozenset({"swagger-ui-bundle.js", "swagger-ui.css",
                                  "favicon-32x32.png"}),
    "redoc": frozenset({"bundles/redoc.standalone.js"}),
    # Charts and maps of the command-centre pages.
    "chart.js": frozenset({"dist/chart.umd.min.js"}),
    "leaflet": frozenset({
        "dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png",
        "dist/images/layers-2x.png", "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png",
    }),
    # Reading a certificate's QR code from the camera or an image, in the browser.
    "jsqr": frozenset({"dist/jsQR.js"}),
}

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
               ".svg": "image/svg+xml"}
# The files change only with package-lock.json, that is with a new release of the platform.
CACHE_CONTROL = "public, max-age=86400"


class AssetsMissingError(DomainError):
    """The browser libraries are not installed where the settings say."""

    status = 503
    title = "Browser libraries not installed"


def folder() -> Path:
    """Where the installed packages are (npm's node_modules)."""
    return get_settings().assets_dir


def url(package: str, file: str) -> str:
    """The address at which the platform serves one listed file of a package."""
    if file not in PACKAGES.get(package, frozenset()):
        raise KeyError(f"{package}/{file} is not a served asset (see PACKAGES)")
    return f"{PREFIX}/{package}/{file}"


def missing(package: str | None = None) -> list[str]:
    """The listed files (of one package, or of all) absent from the installed folder."""
    base = folder()
    chosen = [package] if package else sorted(PACKAGES)
    return [f"{name}/{file}" for name in chosen for file in sorted(PACKAGES[name])
            if not (base / name / file).is_file()]


def require(package: str) -> None:
    """Refuse with a clear problem (503) when a package's files are not installed."""
    absent = missing(package)
    if absent:
        raise AssetsMissingError(
            f"{len(absent)} file(s) of {package} are missing from {folder()}: {INSTALL_HINT}")


def check_installed() -> bool:
    """Log, once at start-up, which browser libraries are missing; never fail."""
    absent = missing()
    if absent:
        log.warning("browser libraries missing from %s (%s%s): %s; /docs, /redoc and maps "
                    "answer 503 until then", folder(), ", ".join(absent[:3]),
                    ", ..." if len(absent) > 3 else "", INSTALL_HINT)
    return not absent


router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/{package}/{file:path}")
def asset(package: str, file: str) -> FileResponse:
    """One listed file of an installed package."""
    if file not in PACKAGES.get(package, frozenset()):
        raise NotFoundError(f"no asset {package}/{file}")
    path = folder() / package / file
    if not path.is_file():
        raise AssetsMissingError(f"{package}/{file} is missing from {folder()}: {INSTALL_HINT}")
    media_type = MEDIA_TYPES.get(PurePosixPath(file).suffix, "application/octet-stream")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})
