"""Benchmarks reuse the test fixtures (app, world, auth…); run them with `make bench`."""
from tests.conftest import *  # noqa: F401,F403 - pytest fixtures
