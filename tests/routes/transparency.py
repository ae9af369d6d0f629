"""The route matrix: transparency."""

from __future__ import annotations

from tests.routes import (
    PUBLIC,
    STAFF,
)

PUBLIC.update({
    # The published public figures and open-data files (aggregates, no identities).
    ("GET", "/public"), ("GET", "/public/districts"), ("GET", "/public/changes"),
    ("GET", "/public/snapshots"), ("GET", "/public/snapshots/{day}"), ("GET", "/public/data"),
    ("GET", "/public/data/latest/{name}"), ("GET", "/public/data/{day}/v{version}/{name}"),
    ("GET", "/api/public/data"),
})


STAFF.update({
    # The publication of the public figures: the list of publications and the run.
    ("GET", "/transparency"), ("POST", "/transparency/publish"),
    ("POST", "/api/transparency/publications"),
})


