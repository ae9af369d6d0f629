"""`epidesk certificates` commands: signer keys, issuing, revoking and verifying.

`verify` needs no database: it reads trust lists from files (this platform's export, the
gateway's JSON form, PEM or DER certificates); without `--trust-list` it reads this
platform's own trust list from the database.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from epidesk.kit.console import Group, cli_actor, console, table

app = typer.Typer(help="Certificates: signer keys, issue, revoke, verify (EU DCC format).",
                  no_args_is_help=True)
keys_app = typer.Typer(help="Signer keys and the trust list.", no_args_is_help=True)


app.add_typer(keys_app, name="keys", cls=Group)
out = console()
err = console(stderr=True)

USAGES_HELP = "Kinds the key may sign: vaccination, test, recovery (repeat the option)"


def _moment(option: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=option
                                 ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)", param_hint=option
                                 ) from None


# ---------------------------------------------------------------------------- keys

@keys_app.command("generate")
def generate_cmd(
    country: str = typer.Option("CN", help="Issuing country (ISO 3166-1 alpha-2)"),
    issuer: str = typer.Option("Epidesk health authority", help="Issuing organisation"),
    days: int = typer.Option(730, min=1, max=3650, help="Days the signer certificate is valid"),
    usage: list[str] = typer.Option(["vaccination", "test", "recovery"], help=USAGES_HELP),
) -> None:
    """Generate the first signer key (P-256) and its self-issued signer certificate."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        key = service.generate_key(session, actor=cli_actor(), country=country,
                                   issuer=issuer, days=days, usages=usage)
        out.print(f"signer key {key.kid} generated ({key.usages}), valid until "
                  f"{key.valid_until:%Y-%m-%d}")


@keys_app.command("rotate")
def rotate_cmd(
    country: str = typer.Option("CN", help="Issuing country (ISO 3166-1 alpha-2)"),
    issuer: str = typer.Option("Epidesk health authority", help="Issuing organisation"),
    days: int = typer.Option(730, min=1, max=3650, help="Days the signer certificate is valid"),
    usage: list[str] = typer.Option(["vaccination", "test", "recovery"], help=USAGES_HELP),
) -> None:
    """A new signer key; the active one retires (it stays trusted until it expires, so
    the certificates it signed still verify)."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        key = service.generate_key(session, actor=cli_actor(), country=country,
                                   issuer=issuer, days=days, usages=usage, replace=True)
        out.print(f"signer key {key.kid} is now active; the previous key is retired")


@keys_app.command("revoke")
def revoke_key_cmd(kid: str = typer.Argument(..., help="Key id (16 hex digits)"),
                   reason: str = typer.Option(..., help="Why the key is revoked")) -> None:
    """Revoke a signer key: no trust list exported from now on carries it."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        key = service.revoke_key(session, kid=kid, reason=reason, actor=cli_actor())
        out.print(f"signer key {key.kid} revoked")


@keys_app.command("list")
def list_keys_cmd() -> None:
    """List the signer keys."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        keys = service.list_keys(session)
        shown = table(out, "Key id", "State", "Country", "Kinds", "Valid from", "Valid until",
                      title="Signer keys")
        for k in keys:
            shown.add_row(k.kid, k.state, k.country, k.usages, f"{k.valid_from:%Y-%m-%d}",
                          f"{k.valid_until:%Y-%m-%d}")
    out.print(shown if keys else "no signer key: run `epidesk certificates keys generate`")


@keys_app.command("export-trust-list")
def export_cmd(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default "
                                                                    "stdout)"),
    gateway: bool = typer.Option(False, help="Only the array of signer certificates, as the "
                                             "gateway publishes them"),
) -> None:
    """Export the trust list: signer certificates (kid, country, base64 DER) and the
    revoked certificate identifiers (hashes)."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        document: Any = service.trust_list_document(session)
    if gateway:
        document = document["certificates"]
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        err.print(f"trust list written to {output}")


# ---------------------------------------------------------------------------- issuing

@app.command("issue")
def issue_cmd(
    kind: str = typer.Argument(..., help="test, recovery or vaccination"),
    resident: int = typer.Option(..., help="Resident id"),
    sample: str = typer.Option("", help="test: the sample's code (a single-tube result)"),
    dose: int = typer.Option(0, help="vaccination: dose number"),
    of: int = typer.Option(0, help="vaccination: doses in the series"),
    product: str = typer.Option("", help="vaccination: medicinal product"),
    manufacturer: str = typer.Option("", help="vaccination: marketing authorisation holder"),
    vaccine_type: str = typer.Option("inactivated", help="vaccination: inactivated, mrna, "
                                                         "antigen"),
    day: str = typer.Option("", help="vaccination: the day of the dose (YYYY-MM-DD)"),
    png: Path | None = typer.Option(None, help="Also write the QR code as PNG here"),
    svg: Path | None = typer.Option(None, help="Also write the QR code as SVG here"),
) -> None:
    """Issue a certificate to a resident and print its HC1: text."""
    from epidesk.certificates import service
    from epidesk.certificates.engine import qr_png, qr_svg
    from epidesk.db import session_scope

    if kind not in ("test", "recovery", "vaccination"):
        raise typer.BadParameter("test, recovery or vaccination", param_hint="KIND")
    with session_scope() as session:
        if kind == "test":
            if not sample:
                raise typer.BadParameter("a test certificate needs --sample",
                                         param_hint="--sample")
            issued = service.issue_test(session, resident_id=resident, sample_code=sample,
                                        actor=cli_actor())
        elif kind == "recovery":
            issued = service.issue_recovery(session, resident_id=resident, actor=cli_actor())
        else:
            if not (dose and of and product and manufacturer and day):
                raise typer.BadParameter("a vaccination certificate needs --dose, --of, "
                                         "--product, --manufacturer and --day",
                                         param_hint="--dose")
            issued = service.issue_vaccination(
                session, resident_id=resident, dose_number=dose, total_doses=of,
                product=product, manufacturer=manufacturer, vaccine_type=vaccine_type,
                day=_day("--day", day), actor=cli_actor())
        text, identifier, number = issued.text, issued.identifier, issued.id
    if png:
        png.write_bytes(qr_png(text))
    if svg:
        svg.write_text(qr_svg(text))
    err.print(f"certificate {number} issued: {identifier}")
    sys.stdout.write(text + "\n")


@app.command("revoke")
def revoke_cmd(identifier: str = typer.Argument(..., help="Certificate identifier (URN:UVCI:...)"),
               reason: str = typer.Option(..., help="Why it is revoked")) -> None:
    """Revoke a certificate: its identifier's hash joins the revocation list."""
    from epidesk.certificates import service
    from epidesk.db import session_scope

    with session_scope() as session:
        service.revoke_certificate(session, identifier=identifier, reason=reason,
                                   actor=cli_actor())
    out.print("revoked; export the trust list again for verifiers to know")


# ---------------------------------------------------------------------------- verify

def read_input(argument: str) -> list[str]:
    """The HC1: texts given: the text itself, a file holding one or more (one to a line),
    or the QR codes read from an image."""
    from epidesk.certificates.engine import read_qr_image

    if argument.startswith("HC1:"):
        return [argument.strip()]
    path = Path(argument)
    if not path.is_file():
        raise typer.BadParameter("neither HC1: text nor a readable file", param_hint="INPUT")
    data = path.read_bytes()
    if data.lstrip().startswith(b"HC1:"):
        lines = data.decode("ascii", "replace").splitlines()
        return [line.strip() for line in lines if line.strip()]
    try:
        found = read_qr_image(data)
    except ValueError:
        raise typer.BadParameter("the file holds neither HC1: text nor an image",
                                 param_hint="INPUT") from None
    return found[:1]


@app.command("verify", epilog="Exit codes: 0 every certificate valid, 1 any invalid, "
                              "2 a usage error.")
def verify_cmd(
    inputs: list[str] = typer.Argument(..., metavar="INPUT...",
                                       help="HC1: text, a file holding one or more (one "
                                            "to a line), or a QR code image"),
    trust_list: list[Path] = typer.Option([], "--trust-list", exists=True, dir_okay=False,
                                          help="Trust list file: this platform's export, "
                                               "the gateway's JSON, PEM or DER (repeat)"),
    at: str = typer.Option("", help="Validation time (ISO 8601; default now)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for each "
                                                        "certificate, one to a line"),
) -> None:
    """Verify certificates offline: signature, schema, validity times, signer
    certificate, key usage and revocation. Nothing about them is recorded."""
    from epidesk.certificates.hcert import engine
    from epidesk.certificates.hcert import trust as hcert_trust
    from epidesk.certificates.hcert.rules import TrustList, failed
    from epidesk.kit import clock

    moment = _moment("--at", at) if at else clock.now()
    texts = [read_input(argument) for argument in inputs]
    trust = TrustList()
    for path in trust_list:
        try:
            trust.merge(hcert_trust.read_trust_list(path.read_bytes()))
        except ValueError as exc:
            raise typer.BadParameter(f"{path}: {exc}", param_hint="--trust-list") from None
    if not trust_list:
        from epidesk.certificates import service
        from epidesk.db import session_scope

        with session_scope() as session:
            trust = service.trust_list(session, at=moment)
    found = [text for group in texts for text in group]
    outcomes = iter(engine.verify_many(found, signers=trust.signers, revoked=trust.revoked,
                                       at=int(moment.timestamp())))
    results = []
    for argument, group in zip(inputs, texts, strict=True):
        if not group:
            results.append((argument, failed("prefix", "no QR code found in the image")))
        results.extend((argument, next(outcomes)) for _ in group)
    for argument, outcome in results:
        _show_outcome(outcome, as_json=as_json, label=argument if len(results) > 1 else "")
    raise typer.Exit(0 if all(o.valid for _, o in results) else 1)


def _show_outcome(outcome: Any, *, as_json: bool, label: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps({
            "valid": outcome.valid, "step": outcome.step, "reason": outcome.reason,
            "kid": outcome.kid.hex() if outcome.kid else None, "country": outcome.country,
            **outcome.minimum()}, ensure_ascii=False) + "\n")
        return
    if label:
        out.print(f"[dim]{label[:60]}[/]", highlight=False)
    if outcome.valid:
        shown = outcome.minimum()
        name = shown["name"]
        out.print(f"[bold green]VALID[/] {outcome.kind} certificate", highlight=False)
        out.print(f"name: {name.get('fn', '')} {name.get('gn', '')} "
                  f"({name.get('fnt', '')} {name.get('gnt', '')})", highlight=False)
        out.print(f"date of birth: {shown['dob']}", highlight=False)
        out.print("certified: " + ", ".join(f"{k} {v}" for k, v in shown["certified"].items()
                                            if k != "kind"), highlight=False)
    else:
        out.print(f"[bold red]INVALID[/] {outcome.reason}", highlight=False)
