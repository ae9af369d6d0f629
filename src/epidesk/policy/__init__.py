"""The policy domain."""
