"""Comptoir: a mini-CRM and commercial management suite for school practice firms."""
from __future__ import annotations

import gc

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    from crm.config import Config

    app.config.from_object(Config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    from crm.core import requests

    requests.init_app(app)  # the bounded <int:…> converter, before any route is registered
    _init_extensions(app)
    _register_blueprints(app)

    from crm.core import web

    web.init_app(app)

    from crm import cli

    cli.register(app)
    # What is built so far (modules, mappers, tables, routes) lives as long as the process: out of
    # the collector's reach, it is not scanned again by each full collection, a pause of 100 ms and
    # more (250 000 objects) that fell on one request in twenty of the indicators' dashboard.
    gc.freeze()
    return app


def _init_extensions(app: Flask) -> None:
    from sqlalchemy.orm import Session

    from crm.core.database import configure_engine, track_flushes
    from crm import models  # noqa: F401 - registers every table before Migrate looks
    from crm.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    track_flushes(Session)


def _register_blueprints(app: Flask) -> None:
    from crm.accueil.views import bp as accueil_bp
    from crm.admin.views import bp as admin_bp
    from crm.auth.views import bp as auth_bp
    from crm.clients.views import bp as clients_bp
    from crm.core.views import bp as core_bp
    from crm.einvoice.views import bp as echanges_bp
    from crm.formation.views import bp as formation_bp
    from crm.indicateurs.survey_views import bp as avis_bp
    from crm.indicateurs.views import bp as indicateurs_bp
    from crm.prospection.views import bp as prospection_bp
    from crm.stocks.views import bp as stocks_bp
    from crm.ventes.blueprint import bp as ventes_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(accueil_bp, url_prefix="/accueil")
    app.register_blueprint(clients_bp, url_prefix="/clients")
    app.register_blueprint(prospection_bp, url_prefix="/prospection")
    app.register_blueprint(ventes_bp, url_prefix="/ventes")
    app.register_blueprint(stocks_bp, url_prefix="/stocks")
    app.register_blueprint(echanges_bp, url_prefix="/echanges")
    app.register_blueprint(indicateurs_bp, url_prefix="/indicateurs")
    app.register_blueprint(avis_bp, url_prefix="/avis")
    app.register_blueprint(formation_bp, url_prefix="/formation")
