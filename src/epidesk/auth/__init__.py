"""The auth domain: users, roles, area scopes, sessions, tokens and the audit log."""
