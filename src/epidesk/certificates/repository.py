"""Every query of the certificates domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epidesk.certificates.models import CertificateRevocation, IssuedCertificate, SignerKey


def signer_keys(session: Session) -> Sequence[SignerKey]:
    return session.scalars(select(SignerKey).order_by(SignerKey.id)).all()


def signer_key(session: Session, kid: str) -> SignerKey | None:
    return session.scalars(select(SignerKey).where(SignerKey.kid == kid)).first()


def signer_key_by_id(session: Session, key_id: int) -> SignerKey | None:
    return session.get(SignerKey, key_id)


def active_keys(session: Session) -> Sequence[SignerKey]:
    return session.scalars(select(SignerKey).where(SignerKey.state == "active")
                           .order_by(SignerKey.id.desc())).all()


def trusted_keys(session: Session, at: datetime) -> Sequence[SignerKey]:
    """Keys whose certificates a verifier should trust at a moment: not revoked, not
    expired."""
    return session.scalars(select(SignerKey).where(SignerKey.state != "revoked",
                                                   SignerKey.valid_until >= at)
                           .order_by(SignerKey.id)).all()


def revoked_hashes(session: Session) -> list[str]:
    return list(session.scalars(select(CertificateRevocation.identifier_hash)
                                .order_by(CertificateRevocation.id)))


def revocation(session: Session, identifier_hash: str) -> CertificateRevocation | None:
    return session.scalars(select(CertificateRevocation).where(
        CertificateRevocation.identifier_hash == identifier_hash)).first()


def issued(session: Session, certificate_id: int) -> IssuedCertificate | None:
    return session.get(IssuedCertificate, certificate_id)


def issued_by_identifier(session: Session, identifier: str) -> IssuedCertificate | None:
    return session.scalars(select(IssuedCertificate).where(
        IssuedCertificate.identifier == identifier)).first()


def issued_from(session: Session, resident_id: int, source: str) -> IssuedCertificate | None:
    """The newest certificate issued to the resident from one source."""
    return session.scalars(select(IssuedCertificate).where(
        IssuedCertificate.resident_id == resident_id, IssuedCertificate.source == source)
        .order_by(IssuedCertificate.id.desc())).first()


def resident_certificates(session: Session, resident_id: int) -> Sequence[IssuedCertificate]:
    return session.scalars(select(IssuedCertificate).where(
        IssuedCertificate.resident_id == resident_id)
        .order_by(IssuedCertificate.issued_at.desc(), IssuedCertificate.id.desc())).all()


def move_certificates(session: Session, *, from_id: int, to_id: int) -> int:
    result = session.execute(update(IssuedCertificate)
                             .where(IssuedCertificate.resident_id == from_id)
                             .values(resident_id=to_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
