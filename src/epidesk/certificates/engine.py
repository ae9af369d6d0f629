"""Signer keys and their X.509 certificates: P-256 keys, self-issued signer certificates
carrying the DCC extended key usages, PEM in and out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from epidesk.certificates.hcert.rules import USAGE_OID, key_id


@dataclass(frozen=True)
class NewSigner:
    private_key_pem: str
    certificate_der: bytes
    kid: bytes


def generate_signer(*, country: str, organisation: str, common_name: str,
                    valid_from: datetime, valid_until: datetime,
                    usages: tuple[str, ...]) -> NewSigner:
    """A new P-256 key and its self-issued signer certificate for the kinds in `usages`
    (vaccination, test, recovery), valid between the two moments."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    if usages:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(USAGE_OID[u]) for u in usages]),
            critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    der = certificate.public_bytes(serialization.Encoding.DER)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    return NewSigner(private_key_pem=pem, certificate_der=der, kid=key_id(der))


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("a signer key is a P-256 elliptic-curve key")
    return key


def certificate_pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(
        serialization.Encoding.PEM).decode("ascii")


# ---------------------------------------------------------------------------- QR codes

def qr_code(text: str) -> Any:
    """The QR code of a certificate: alphanumeric mode, error correction Q."""
    import segno

    return segno.make_qr(text, mode="alphanumeric", error="q", boost_error=False)


def qr_svg(text: str, *, scale: int = 4) -> str:
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", scale=scale, border=4, xmldecl=False,
                       svgns=True, title="EU DCC")
    return out.getvalue().decode("utf-8")


def qr_png(text: str, *, scale: int = 4) -> bytes:
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def read_qr_image(data: bytes) -> list[str]:
    """The texts of every QR code in an image (PNG, JPEG, ...); ValueError when the bytes
    are not an image."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not an image: {exc}") from exc
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(grey, formats=qr)
    return [r.text for r in found]
