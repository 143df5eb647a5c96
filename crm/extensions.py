"""Flask extensions, created unbound here and bound in create_app()."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from crm.core.pagination import PER_PAGE, Pagination

# Named constraints so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, its pages of PER_PAGE rows counted only when they cannot tell (crm.core.pagination)."""

    def paginate(self, select, *, page=None, per_page=PER_PAGE, max_per_page=None, error_out=True, count=True):
        return Pagination(select=select, session=self.session(), page=page, per_page=per_page,
                          max_per_page=max_per_page, error_out=error_out, count=count)


db = Database(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
