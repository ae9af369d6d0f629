"""One-time codes (TOTP, RFC 6238): the second factor of staff sign-in."""
