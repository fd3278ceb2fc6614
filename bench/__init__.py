"""Benchmarks: scripts that print numbers (no timed assertions in tests)."""
