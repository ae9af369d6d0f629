"""Quarantine and isolation orders: made from contacts and cases, changed with a
reason, delivered, withdrawn with their evidence, released."""
