"""Settings read from the environment (CRM_*), with defaults for one class on SQLite."""
import os
import secrets
import tempfile
from pathlib import Path


def _instance_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in instance/, creating it on first start.

    Generated once and reused so that sessions survive a restart and several
    gunicorn workers sign cookies with the same key. Workers may start at the
    same moment: the key is written to a private temporary file and linked into
    place, which fails for all but the first, who then read the winner's key.
    """
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return key_file.read_text().strip()


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production-ish defaults; every value can be overridden by CRM_* variables."""

    WTF_CSRF_ENABLED = True
    WTF_I18N_ENABLED = False  # no Flask-Babel: forms take WTForms' French catalogue (crm.core.forms.Form)
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a school day: a form left open all morning still posts
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # uploads: class lists, logos
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1): about 0,05 s a hash on
    # one core, so a class of 60 logging in within the same minute costs a 2-core server
    # a few seconds of CPU, not a frozen lesson (README "Connexion"). Hashes made with
    # other settings are redone at the next login.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024  # KiB
    ARGON2_PARALLELISM = 1
    # Login throttling (crm/auth/services.py, README "Connexion"): growing delays, then a block a teacher clears.
    LOGIN_FREE_FAILURES = 3  # per account, before delays of 1, 2, 4 … s
    LOGIN_ACCOUNT_LIMIT = 10  # per account: blocked until a teacher unblocks it
    LOGIN_WINDOW_SECONDS = 3600
    LOGIN_ADDRESS_FREE_FAILURES = 20  # per address, failures no successful login cleared
    LOGIN_ADDRESS_WINDOW_SECONDS = 900
    LOGIN_MAX_DELAY_SECONDS = 60
    PAGE_SIZE = 25

    def __init__(self, instance_path: str):
        instance = Path(instance_path)
        self.SECRET_KEY = os.environ.get("CRM_SECRET_KEY") or _instance_secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = database_url(
            os.environ.get("CRM_DATABASE_URL"), instance
        )
        # Cookies are also Secure on their own whenever the request came over HTTPS (crm.core.web).
        self.SESSION_COOKIE_SECURE = _flag("CRM_SECURE_COOKIES")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # Behind a reverse proxy (nginx, Caddy…): trust its X-Forwarded-For/-Proto/-Host, one hop.
        self.BEHIND_PROXY = _flag("CRM_PROXY")
        # Real email (crm.prospection.mailer); without a host, mail stays inside Comptoir.
        self.SMTP_HOST = os.environ.get("CRM_SMTP_HOST", "").strip()
        port = os.environ.get("CRM_SMTP_PORT", "").strip()
        self.SMTP_PORT = int(port) if port.isdigit() else 0  # 0: the usual port of SMTP_SECURITY
        self.SMTP_USER = os.environ.get("CRM_SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("CRM_SMTP_PASSWORD", "")
        self.SMTP_SECURITY = os.environ.get("CRM_SMTP_SECURITY", "starttls").strip().lower()
        self.SMTP_FROM = os.environ.get("CRM_SMTP_FROM", "").strip()


def database_url(url: str | None, instance: Path) -> str:
    """Normalise the database URL: SQLite in instance/ by default, psycopg 3 for PostgreSQL."""
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'crm.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
