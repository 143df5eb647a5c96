"""Factories of the clients tests."""
import pytest

from crm.clients import services


@pytest.fixture
def make_party(app_ctx):
    """make_party(firm, **overrides): a private prospect by default, created through the service."""

    def make(firm, user=None, **overrides):
        data = {"kind": "prospect", "category": "private", "last_name": "Martin", "first_name": "Léa"}
        data.update(overrides)
        return services.create_party(firm, user, data, journal=False)

    return make
