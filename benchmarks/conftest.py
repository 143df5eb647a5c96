"""Benchmarks reuse the test fixtures (app, world, auth, one rolled-back transaction each)."""
pytest_plugins = ["tests.conftest"]
