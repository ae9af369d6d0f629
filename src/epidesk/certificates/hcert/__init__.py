"""The hcert 1.3 format: EU DCC payloads as signed, compressed, base45 text."""
