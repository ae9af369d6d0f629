"""The synth domain: a deterministic synthetic city and an outbreak scenario on it."""
