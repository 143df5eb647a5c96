"""Command line: demo data and administrator creation."""
from sqlalchemy import func, select

from crm.core.models import Classroom, Firm, Membership, User
from crm.extensions import db
from tests.conftest import Auth


def _counts():
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (User, Classroom, Firm, Membership))


def test_demo_loads_once_with_the_given_password(app, app_ctx, runner, monkeypatch):
    monkeypatch.setenv("CRM_DEMO_PASSWORD", "demo-password-1")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for username in ("prof", "eleve1", "eleve2", "eleve3"):
        assert username in result.output
    db.session.expire_all()
    firms = {f.trade_name: f for f in db.session.scalars(select(Firm))}
    assert {"Comptoir démo", "Boutique voisine"} <= set(firms)
    members = {m.user.username: (m.firm.trade_name, m.position) for m in db.session.scalars(select(Membership))}
    assert members["eleve1"][0] == "Comptoir démo" and members["eleve2"][0] == "Comptoir démo"
    assert members["eleve3"][0] == "Boutique voisine"
    assert firms["Comptoir démo"].siren == "732829320"
    from crm.clients.models import Party
    from crm.ventes.models import Product

    demo_firm = firms["Comptoir démo"].id
    kinds = db.session.scalars(select(Party.kind).where(Party.firm_id == demo_firm)).all()
    # The scenario's 60 clients and prospects, and « Boutique voisine » the demo adds as a prospect;
    # its 4 suppliers and Boutique voisine, linked as a supplier (the two demo firms trade, crm/einvoice).
    assert (kinds.count("client") + kinds.count("prospect"), kinds.count("supplier")) == (61, 5)
    stock = dict(
        db.session.execute(select(Product.reference, Product.on_hand).where(Product.firm_id == demo_firm)).all()
    )
    assert len(stock) == 43 and stock["TB-120"] == 8 and stock["SV-INST"] == 0
    from crm.stocks.services import stock_alerts

    # TB-120: 8 in stock (never sold in the history) under its alert point of 10 → proposing 16 − 8 = 8.
    alerts = {a.product.reference: a for a in stock_alerts(firms["Comptoir démo"])}
    assert alerts["TB-120"].proposed == 8
    from crm.stocks.purchasing import terms_of

    supplier = db.session.scalar(
        select(Party).where(Party.firm_id == demo_firm, Party.company_name == "Mobilier Pro Grossiste")
    )
    assert terms_of(supplier).lead_time_days == 7
    assert alerts["TB-120"].threshold.supplier_id == supplier.id
    from crm.accueil.models import Service

    services = sorted(db.session.scalars(select(Service.name).where(Service.firm_id == demo_firm)))
    assert services == ["Comptabilité", "Direction", "Magasin", "Service après-vente", "Service commercial"]
    # The demo firm lives on its scenario's calendar.
    from datetime import date

    assert firms["Comptoir démo"].business_date == date(2026, 9, 14)
    before = _counts()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "rien n'a été modifié" in again.output
    assert _counts() == before
    assert Auth(app.test_client()).login("eleve1", "demo-password-1").status_code == 302


def test_demo_generates_and_prints_a_password_when_none_is_given(app, app_ctx, runner, monkeypatch):
    monkeypatch.delenv("CRM_DEMO_PASSWORD", raising=False)
    result = runner.invoke(args=["demo"])
    password = result.output.split("eleve1")[1].split("mot de passe :")[1].split()[0]
    assert len(password) == 14
    assert Auth(app.test_client()).login("prof", password).status_code == 302


def test_create_admin(app, app_ctx, runner):
    result = runner.invoke(args=["create-admin", "--username", "Chef", "--name", "Mme Chef",
                                 "--password", "secret-admin-1"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).filter_by(username="chef"))
    assert admin.role == "admin"
    short = runner.invoke(args=["create-admin", "--username", "x2", "--name", "X", "--password", "court"])
    assert short.exit_code != 0
    assert "au moins 8 caractères" in short.output
    duplicate = runner.invoke(args=["create-admin", "--username", "chef", "--name", "X",
                                    "--password", "secret-admin-2"])
    assert "déjà utilisé" in duplicate.output
