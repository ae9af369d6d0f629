"""The API keeps its own OpenAPI document: Schemathesis generates requests for every
operation (valid ones and invalid ones), signed out, as a city-wide administrator and as a
worker limited to one community, and every answer must be documented, match its response
schema and never be a server error.

Deterministic (derandomized, a fixed number of examples per operation), so CI does not
flake; a route added later is covered through the document.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from tests.factories import tiny_city

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Examples per operation and generation mode (valid, invalid), for each kind of caller.
EXAMPLES = {"signed out": 2, "administrator": 8, "community worker": 4}


def _caller(db: Session, kind: str) -> Callable[[], dict[str, str]]:
    """Fresh bearer headers for a kind of caller (an operation may revoke its token)."""
    from epidesk.auth import service as auth

    if kind == "signed out":
        return dict
    city = tiny_city(db)
    user = auth.create_user(db, username="contract", display_name="Contract",
                            password="correct horse battery staple")
    if kind == "administrator":
        auth.grant_role(db, username="contract", role="administrator", granted_by="test")
    else:
        auth.grant_role(db, username="contract", role="community_worker",
                        scope_kind="community", scope_id=city.communities[0].id,
                        granted_by="test")

    def headers() -> dict[str, str]:
        token = auth.create_token(db, user_id=user.id, name="contract")
        return {"Authorization": f"Bearer {token.secret}"}

    return headers


def _runner(operation: Any, mode: GenerationMode, examples: int,
            check: Callable[[Any], None]) -> Callable[[], int]:
    """A run of `examples` generated cases of one operation; returns how many ran."""
    ran = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        check(case)

    def counted() -> int:
        run()
        return ran

    return counted


def _check(case: Any, session: Any, headers: dict[str, str], statuses: Counter[int],
           failures: list[str]) -> None:
    """Send one case and record its status and what it breaks of the document."""
    response = case.call(session=session, headers=headers)
    statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as exc:
        found = getattr(exc, "exceptions", [exc])
        failures.extend(f"{case.operation.label} {response.status_code}: "
                        f"{type(f).__name__}: {str(f)[:400]}" for f in found)


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_every_operation_answers_as_documented(anon_client: TestClient, db: Session,
                                              kind: str) -> None:
    app: Any = anon_client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    session = get_client(app)
    headers = _caller(db, kind)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = examples = 0
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        sent = headers()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check = partial(_check, session=session, headers=sent, statuses=statuses,
                            failures=failures)
            run = _runner(operation, mode, EXAMPLES[kind], check)
            try:
                examples += run()
            except Unsatisfiable:
                # No input of the operation can be made invalid (it takes none).
                assert mode == GenerationMode.NEGATIVE, operation.label
    seconds = time.perf_counter() - started
    print(f"\n{kind}: {operations} operations, {examples} examples in {seconds:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}")
    assert operations >= 40
    assert examples >= operations * 2
    assert 500 not in statuses
    distinct = sorted(set(failures))
    assert not distinct, f"{len(distinct)} failures:\n" + "\n".join(distinct[:40])
