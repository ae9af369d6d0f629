"""Bad input never reaches a 500: every route's integer, day and time inputs, found from
the application itself, answer out-of-range and non-ASCII values with a 4xx problem+json
(a 422 naming the field wherever the route types the input).

A route added later is covered without being listed here.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from epidesk.app import create_app
from epidesk.kit.inputs import FIRST_DAY, LAST_DAY, MAX_ID

# Digits that str.isdigit() accepts but are not 0-9: superscript two, circled one,
# full-width zero, Arabic-Indic three; and a day written in full-width digits.
UNICODE_DIGITS = ["\u00b2", "\u2460", "\uff10", "\u0663"]
WIDE_DAY = "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in "2022-01-01")
BAD_WHOLE = ["18446744073709551616", "99999999999999999999", "-1", *UNICODE_DIGITS,
             "1_000", "1.5", "true"]
BAD_DAY = ["0001-01-01", "0", "9999-12-31", WIDE_DAY, "2022-13-45", "1e9"]
BAD_MOMENT = ["0001-01-01T00:00:00+14:00", "0", "9999-12-31T23:59:59-14:00",
              f"{WIDE_DAY}T00:00:00Z", "1e9"]
JSON_BAD_WHOLE: list[Any] = [2**64, 99999999999999999999, -1, *UNICODE_DIGITS, True, 1.5]
# Text inputs a page parses itself are probed too when their names say what they hold.
ID_NAME = re.compile(r"(^|_)ids?$")
DAY_NAMES = {"day", "on", "reported_on", "onset_date", "birth_date"}
MOMENT_NAMES = {"at", "as_of", "since", "until"}


@dataclass(frozen=True)
class Input:
    """One integer, day or time input of a route."""

    method: str
    path: str
    where: str  # "path", "query", "json" or "form"
    name: str
    kind: str  # "whole", "day", "moment" (with "list:" for a list of them)
    typed: bool  # validated by the route's signature (else parsed by the page itself)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.where}.{self.name}"


def _kind(annotation: Any) -> str | None:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is list:
        inner = _kind(get_args(annotation)[0])
        return f"list:{inner}" if inner else None
    if annotation is bool:
        return None
    if annotation is int:
        return "whole"
    if annotation is datetime:
        return "moment"
    if annotation is date:
        return "day"
    return None


def _named_kind(name: str) -> str | None:
    if ID_NAME.search(name):
        return "whole"
    if name in DAY_NAMES:
        return "day"
    if name in MOMENT_NAMES:
        return "moment"
    return None


def _params(dependant: Any) -> Iterator[tuple[str, Any]]:
    for where in ("path", "query"):
        for field in getattr(dependant, f"{where}_params"):
            yield where, field
    for field in dependant.body_params:
        yield "body", field
    for sub in dependant.dependencies:
        yield from _params(sub)


def _routes(app: FastAPI) -> Iterator[Any]:
    """Every route with a dependant (a FastAPI route), through included routers too."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for r in (list(contexts()) if contexts else [route]):
            if getattr(r, "dependant", None) is not None:
                yield r


def _route_inputs(route: Any) -> Iterator[Input]:
    method = sorted(set(route.methods) - {"HEAD"})[0]
    path = route.path_format
    for where, field in _params(route.dependant):
        annotation = field.field_info.annotation
        if where == "body" and isinstance(annotation, type) and issubclass(annotation,
                                                                           BaseModel):
            for name, sub in annotation.model_fields.items():
                kind = _kind(sub.annotation)
                if kind:
                    yield Input(method, path, "json", sub.alias or name, kind, True)
            continue
        if where == "body":
            where = "form"
        kind = _kind(annotation)
        if kind:
            yield Input(method, path, where, field.alias, kind, True)
        elif annotation is str and (named := _named_kind(field.alias)):
            yield Input(method, path, where, field.alias, named, False)


APP: FastAPI = create_app()
INPUTS = sorted({i for r in _routes(APP) for i in _route_inputs(r)},
                key=lambda i: i.id)


def _bad_values(item: Input) -> list[Any]:
    kind = item.kind.removeprefix("list:")
    if item.where == "json" and kind == "whole":
        values = list(JSON_BAD_WHOLE)
    else:
        values = list({"whole": BAD_WHOLE, "day": BAD_DAY, "moment": BAD_MOMENT}[kind])
    return [[v] for v in values] if item.kind.startswith("list:") else values


def test_the_inputs_are_found() -> None:
    found = {(i.path, i.where, i.name) for i in INPUTS}
    # One of each place an input can be: path, query, JSON body (and a list in it), form.
    assert ("/api/places/districts/{district_id}", "path", "district_id") in found
    assert ("/api/cases", "query", "district_id") in found
    assert ("/api/cases/bulletin", "query", "day") in found
    assert ("/api/overview", "query", "day") in found
    assert ("/api/tracing/exposures", "json", "resident_b_id") in found
    assert ("/api/tracing/runs", "json", "case_ids") in found
    assert ("/tracing/exposures", "form", "resident_b_id") in found
    assert ("/audit", "query", "person_id") in found
    assert len(INPUTS) > 50


def test_every_integer_in_the_api_document_is_bounded() -> None:
    """Every integer parameter and JSON input field has a minimum and a maximum that the
    database can hold (64-bit at most; ids are 32-bit)."""
    doc = APP.openapi()
    schemas = doc["components"]["schemas"]
    loose: list[str] = []

    def walk(node: Any, where: str, seen: frozenset[str]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    walk(schemas[name], f"{where}->{name}", seen | {name})
                return
            if node.get("type") == "integer":
                low, high = node.get("minimum"), node.get("maximum")
                if low is None or high is None or high > 2**63 - 1 or low < -(2**63):
                    loose.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}", seen)
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}/{n}", seen)

    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            walk({k: v for k, v in operation.items() if k != "responses"},
                 f"{method.upper()} {path}", frozenset())
    assert not loose, f"integers without database bounds: {loose}"


def _request(client: TestClient, item: Input, value: Any) -> Any:
    path = re.sub(r"\{([^}]+)\}",
                  lambda m: str(value) if m.group(1) == item.name and item.where == "path"
                  else "1", item.path)
    sent: dict[str, Any] = {}
    if item.where == "query":
        sent["params"] = {item.name: value}
    elif item.where == "json":
        sent["json"] = {item.name: value}
    elif item.where == "form":
        sent["data"] = {item.name: value}
    return client.request(item.method, path, **sent)


def _refusal(client: TestClient, item: Input, value: Any) -> str | None:
    """Why the answer to one bad value is wrong, or None when it is a proper refusal."""
    r = _request(client, item, value)
    if not 400 <= r.status_code < 500:
        return f"{item.id}={value!r}: {r.status_code} {r.text[:200]}"
    if not item.typed:
        return None
    if r.status_code != 422 or r.headers["content-type"] != "application/problem+json":
        return f"{item.id}={value!r}: {r.status_code} {r.headers['content-type']}"
    body = r.json()
    where = "body" if item.where in ("json", "form") else item.where
    if not any(e["loc"][:2] == [where, item.name] for e in body["errors"]):
        return f"{item.id}={value!r}: the problem does not name the field: {body['detail']}"
    if f"{where}.{item.name}" not in body["detail"]:
        return f"{item.id}={value!r}: the detail does not name the field: {body['detail']}"
    return None


def test_bad_numbers_and_days_are_refused_with_a_problem_naming_the_field(
        client: TestClient) -> None:
    """Every input of every route, each bad value: a 4xx, and for a typed input a 422
    problem+json whose errors and detail name the field."""
    wrong = [why for item in INPUTS for value in _bad_values(item)
             if (why := _refusal(client, item, value)) is not None]
    assert not wrong, "\n".join(wrong)


def test_the_bounds_are_the_databases(client: TestClient) -> None:
    assert MAX_ID == 2**31 - 1
    assert client.get(f"/api/people/{MAX_ID}").status_code == 404
    assert client.get(f"/api/people/{MAX_ID + 1}").status_code == 422
    assert client.get("/api/overview", params={"day": FIRST_DAY.isoformat()}).status_code == 200
    assert client.get("/api/overview", params={"day": LAST_DAY.isoformat()}).status_code == 200
    r = client.get("/api/cases/bulletin", params={"day": "0"})
    assert r.status_code == 422 and "query.day" in r.json()["detail"]
    # Blank optional values in a page's query read as "not given".
    assert client.get("/tracing/go", params={"case_id": "", "resident_id": ""}
                      ).status_code == 303


def test_text_no_database_can_hold_is_refused_naming_the_field(client: TestClient) -> None:
    r = client.get("/api/people", params={"q": "wang\x00"})
    assert r.status_code == 422 and "query.q" in r.json()["detail"]
    for name in (b"laptop\\u0000", b"\\ud800"):
        r = client.post("/api/auth/tokens", content=b'{"name": "' + name + b'"}',
                        headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "name"]
    assert [t["name"] for t in client.get("/api/auth/tokens").json()] == ["tests"]


def test_a_value_the_database_refuses_is_invalid_input_not_a_server_error(
        client: TestClient) -> None:
    from sqlalchemy.exc import DataError

    app: Any = client.app

    def refused() -> None:
        raise DataError("INSERT", {}, Exception("text fields cannot contain NUL (0x00) bytes"))

    app.add_api_route("/api/refused", refused)
    r = client.get("/api/refused")
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "cannot be stored" in r.json()["detail"]


def test_forms_a_page_reads_itself_name_the_field(anon_client: TestClient, db: Any,
                                                  make_user: Any) -> None:
    """The exposure form, the audit search and the find form took "①" and "²" for digits
    (str.isdigit) and failed on int(); now each answers 422 naming the field."""
    from tests.conftest import TEST_PASSWORD
    from tests.tracing.helpers import scene

    s = scene(db)
    make_user("epi", ["epidemiologist", "auditor"])
    signin = anon_client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', signin)
    assert token
    r = anon_client.post("/signin", data={"username": "epi", "password": TEST_PASSWORD,
                                          "csrf_token": token.group(1), "next": "/tracing"})
    assert r.status_code == 303
    html = {"accept": "text/html"}
    page = anon_client.get(f"/tracing/cases/{s.case.id}", headers=html).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    form = {"csrf_token": found.group(1), "case_id": str(s.case.id),
            "resident_b_id": str(s.id("zhang_min")), "at": "2026-11-19T18:30",
            "setting": "shared_vehicle", "place": "bus 12"}
    for field, value in (("resident_b_id", "\u2460"), ("resident_b_id", "99999999999"),
                         ("at", "0"), ("at", "0001-01-01T00:00")):
        r = anon_client.post("/tracing/exposures", data={**form, field: value}, headers=html)
        assert r.status_code == 422, (field, value, r.status_code)
        assert field in r.text
    for params in ({"case_id": "\u00b2"}, {"resident_id": "\uff11"}):
        r = anon_client.get("/tracing/go", params=params)
        assert r.status_code == 422 and next(iter(params)) in r.json()["detail"]
    r = anon_client.get("/audit", params={"person_id": "\u00b2"}, headers=html)
    assert r.status_code == 422 and "person_id" in r.text
