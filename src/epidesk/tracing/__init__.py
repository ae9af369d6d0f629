"""Contact tracing: exposure data, close and sub-close contacts with evidence, follow-up."""
