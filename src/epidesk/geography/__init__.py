"""The geography domain."""
