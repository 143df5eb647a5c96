"""Settings from the environment."""
from concurrent.futures import ThreadPoolExecutor

from crm.config import _instance_secret_key, database_url


def test_secret_key_is_generated_once_and_shared(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _instance_secret_key(tmp_path), range(16)))
    assert len(keys) == 1
    assert len(keys.pop()) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_database_url_defaults_to_sqlite_in_instance(tmp_path):
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'crm.sqlite3'}"


def test_postgres_urls_use_psycopg_3(tmp_path):
    assert database_url("postgresql://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"


def test_favicon_ico_is_served_to_browsers_that_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    assert client.get(response.headers["Location"]).status_code == 200
