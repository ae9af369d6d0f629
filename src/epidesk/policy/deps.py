"""FastAPI dependencies of the policy domain, shared by its api and pages.

The rules that restrict people are public: no route of this domain needs an account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

PresetName = Annotated[str, Path(min_length=1, max_length=100, description="A preset name")]
