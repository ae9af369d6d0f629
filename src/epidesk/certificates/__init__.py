"""Certificates: signer keys, EU DCC-format certificates, QR codes, offline verification."""
