"""The route matrix: pages_i18n."""

from __future__ import annotations


