"""Benchmarks: load runs against a real server, kept apart from the test suite."""
