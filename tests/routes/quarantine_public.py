"""The route matrix: quarantine_public."""

from __future__ import annotations


