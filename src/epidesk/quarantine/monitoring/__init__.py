"""Home health monitoring after release: daily checks by community workers and hotline
operators, fever and symptoms flagging a test."""
