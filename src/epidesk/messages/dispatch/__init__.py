"""Sending the queue: the dispatcher job and the SMS adapters (a file of JSON lines by
default, an HTTP provider when configured)."""
