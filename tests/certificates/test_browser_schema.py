"""The verification page checks a certificate's payload against the DCC schema of the
version it states, in the browser, with the schemas the platform serves (kept by the
service worker): a correctly signed certificate whose contents break the schema fails at
the schema step, online and offline, and the page's validator agrees with the server's
on many payloads."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epidesk.certificates import service
from epidesk.certificates.engine import load_private_key, qr_png
from epidesk.certificates.hcert import engine as hcert
from epidesk.db import make_engine
from epidesk.kit.sealing import open_sealed
from tests.certificates.test_browser import _until, issue

pytestmark = pytest.mark.browser


def resign(url: str, text: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The certificate with its payload changed, signed again with the platform's own
    signer key: the signature is sound, only the contents are at fault."""
    _, claims = hcert.decode_unverified(text)
    payload = copy.deepcopy(dict(claims[-260][1]))
    change(payload)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            key = service.list_keys(session)[0]
            private = load_private_key(open_sealed(key.private_key_sealed))
            return hcert.encode(payload, private_key=private, kid=bytes.fromhex(key.kid),
                                issuer_country=claims[1], issued_at=claims[6],
                                expires_at=claims[4])
    finally:
        engine.dispose()


def _dose_as_text(p: dict[str, Any]) -> None:
    p["v"][0]["dn"] = "1"


def _no_identifier(p: dict[str, Any]) -> None:
    del p["v"][0]["ci"]


def _check(page: Any, text: str) -> tuple[str, str, str]:
    page.fill("#dcc-text", text)
    page.locator("#dcc-status").evaluate("e => { e.textContent = '' }")
    page.get_by_role("button", name="Verify", exact=True).click()
    _until(page, "() => document.getElementById('dcc-status').textContent !== ''")
    return (page.locator("#dcc-status").inner_text(), page.locator("#dcc-reason").inner_text(),
            page.locator("#dcc-where").inner_text())


def _payloads(good: dict[str, Any]) -> list[dict[str, Any]]:
    """The valid payload and many changes of it, some still valid, most not."""
    out = [good]
    values: list[Any] = ["", "x", "Z" * 81, 0, 1, -1, 1.5, None, True, [], {}, "2026-02-30",
                         "1980", "1980-01-01T00:00:00Z"]
    for where in ("root", "nam", "entry"):
        for field in {"root": list(good), "nam": list(good["nam"]),
                      "entry": list(good["v"][0])}[where]:
            if where == "root" and field == "ver":
                continue
            for value in [*values, "DELETE"]:
                changed = copy.deepcopy(good)
                target = {"root": changed, "nam": changed["nam"],
                          "entry": changed["v"][0]}[where]
                if value == "DELETE":
                    del target[field]
                else:
                    target[field] = value
                out.append(changed)
    twice = copy.deepcopy(good)
    twice["v"].append(copy.deepcopy(good["v"][0]))
    both = copy.deepcopy(good)
    both["r"] = [{"tg": "840539006", "fr": "2026-01-01", "co": "CN", "is": "x",
                  "df": "2026-01-12", "du": "2026-06-30", "ci": "URN:UVCI:01:CN:R"}]
    extra = copy.deepcopy(good)
    extra["v"][0]["note"] = "an extra field"
    return [*out, twice, both, extra]


def test_a_signed_certificate_breaking_the_schema_fails_at_the_schema_step(
        anon_page: Any, live_server: str, live_database: str, tmp_path: Path):
    text, family, _ = issue(live_database)
    as_text = resign(live_database, text, _dose_as_text)
    missing = resign(live_database, text, _no_identifier)
    for bad in (as_text, missing):  # the server's verifier says the same
        _, claims = hcert.decode_unverified(bad)
        assert hcert.schema_errors(dict(claims[-260][1]))
    picture = tmp_path / "certificate.png"
    picture.write_bytes(qr_png(text))
    page = anon_page
    page.goto(f"{live_server}/certificates/verify")
    page.locator("#dcc-verify[data-offline='ready'][data-schemas='loaded']").wait_for(
        state="attached")
    status, reason, where = _check(page, as_text)
    assert status == "Not valid" and reason.split(":")[0] == "schema", reason
    assert where == "/v/0/dn"
    status, reason, where = _check(page, missing)
    assert status == "Not valid" and reason.split(":")[0] == "schema", reason
    assert where == "/v/0"
    assert _check(page, text)[0] == "Valid"
    # The page's validator and the server's agree, payload by payload.
    _, claims = hcert.decode_unverified(text)
    payloads = _payloads(dict(claims[-260][1]))
    browser = page.evaluate("""async (payloads) => {
        const doc = await (await fetch("/api/public/certificates/schemas")).json();
        const validate = window.DccSchema.compile(doc.versions["1.3"]);
        const map = (x) => Array.isArray(x) ? x.map(map)
          : x !== null && typeof x === "object"
            ? new Map(Object.entries(x).map(([k, y]) => [k, map(y)])) : x;
        return payloads.map((p) => validate(map(p)).length === 0);
    }""", payloads)
    server = [not hcert.schema_errors(p) for p in payloads]
    assert len(payloads) > 200 and server[0] and 10 < sum(server) < len(server) - 100
    assert browser == server, [p for p, b, s in zip(payloads, browser, server, strict=True)
                               if b != s][:3]
    # Offline after that visit: the schemas are kept; a valid certificate still verifies
    # from its picture, and the broken one still fails at the schema step.
    page.reload()
    _until(page, "() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    try:
        page.reload()
        page.get_by_label("Picture of the QR code").set_input_files(str(picture))
        _until(page, "() => document.getElementById('dcc-status').textContent !== ''")
        assert page.locator("#dcc-status").inner_text() == "Valid"
        assert family in page.locator("#dcc-fields").inner_text()
        status, reason, where = _check(page, as_text)
        assert reason.split(":")[0] == "schema" and where == "/v/0/dn"
    finally:
        page.context.set_offline(False)
