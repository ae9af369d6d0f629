"""Signer keys, the certificates issued and revoked certificate identifiers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class SignerKey(Base):
    """A document signer: a P-256 key (sealed) and its self-issued X.509 certificate.

    `state`: "active" (signs new certificates; one at a time), "retired" (replaced by a
    rotation: signs nothing new, stays in the trust list until its certificate expires so
    the certificates it signed still verify) or "revoked" (left out of the trust list)."""

    __tablename__ = "signer_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)  # hex of the 8-byte key id
    country: Mapped[str] = mapped_column(String(2))
    issuer: Mapped[str] = mapped_column(String(80))
    usages: Mapped[str] = mapped_column(String(40))  # "vaccination,test,recovery"
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_sealed: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revocation_reason: Mapped[str | None] = mapped_column(Text)


class IssuedCertificate(Base):
    """A certificate issued to a resident: what it certifies, when, by which key, and
    its text (`HC1:...`) so that it can be printed again."""

    __tablename__ = "issued_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique certificate identifier (UVCI) written in the payload.
    identifier: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # vaccination, test, recovery
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    signer_key_id: Mapped[int] = mapped_column(ForeignKey("signer_key.id"), index=True)
    # What it was issued from: "sample:<code>", "case:<id>", "dose:<n>:<day>".
    source: Mapped[str] = mapped_column(String(64))
    event_day: Mapped[date] = mapped_column(Date)  # the dose, the sample, the first positive
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class CertificateRevocation(Base):
    """A revoked certificate, kept as the DCC revocation list keeps it: the hash of its
    identifier (first 16 bytes of SHA-256, hex), never the identifier or the person."""

    __tablename__ = "certificate_revocation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier_hash: Mapped[str] = mapped_column(String(32), unique=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
