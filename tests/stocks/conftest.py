from tests.ventes.conftest import make_product  # noqa: F401 - shared fixture
