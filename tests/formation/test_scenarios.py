"""Scenarios: every kind of error refused whole with its path and line; load; export round trip."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm.core.models import Firm
from crm.extensions import db
from crm.formation.models import Activity, FirmScenario, ScenarioEvent
from crm.formation.scenarios.check import ScenarioInvalid, check_scenario
from crm.formation.scenarios.export import export_firm
from crm.formation.scenarios.loader import load_source
from crm.formation.scenarios.library import LIBRARY
from tests.formation.conftest import small_source

MINIMAL = """scenario:
  name: Essai
  start_date: 2026-10-05
firm:
  trade_name: Essai
segments: [Écoles]
families: [Papeterie]
products:
  - {reference: A-1, label: Article, family: Papeterie, sale_price: 10, vat_rate: 20}
clients:
  - {key: ecole, company_name: École, segment: Écoles}
"""


def _errors(source: str) -> list[str]:
    with pytest.raises(ScenarioInvalid) as caught:
        check_scenario(source)
    return [str(e) for e in caught.value.errors]


def test_minimal_scenario_is_valid():
    scenario, _lines = check_scenario(MINIMAL)
    assert scenario.products[0].reference == "A-1" and scenario.clients[0].ref == "ecole"


@pytest.mark.parametrize("change, expected", [
    # YAML syntax: an unclosed bracket, with its line.
    (("  - {reference: A-1, label: Article,", "  - {reference: A-1, label: [Article,"),
     "ligne 9 — erreur de syntaxe YAML"),
    # Unknown VAT rate.
    (("vat_rate: 20}", "vat_rate: 19.6}"),
     "ligne 9 — products[0].vat_rate: taux de TVA inconnu (19.6) : choisissez 20 %, 10 %, 5,5 %, 2,1 % ou 0 %"),
    # Duplicate references (case-insensitive: references are upper case).
    (("  - {reference: A-1, label: Article, family: Papeterie, sale_price: 10, vat_rate: 20}\n",
      "  - {reference: A-1, label: Article, family: Papeterie, sale_price: 10, vat_rate: 20}\n"
      "  - {reference: a-1, label: Autre, sale_price: 5}\n"),
     "ligne 10 — products[1].reference: référence en double « A-1 » (déjà en products[0])"),
    # A client in a segment the file does not declare.
    (("segment: Écoles}", "segment: Mairies}"),
     "ligne 11 — clients[0].segment: segment inconnu « Mairies » : déclarez-le dans segments"),
    # A product in an unknown family.
    (("family: Papeterie, sale", "family: Jouets, sale"),
     "ligne 9 — products[0].family: famille inconnue « Jouets » : déclarez-la dans families"),
    # A key that does not exist (misspelt).
    (("sale_price: 10,", "sale_prise: 10,"), "ligne 9 — products[0].sale_prise: clé inconnue"),
    # A required field missing (reported at its mapping's line).
    (("  trade_name: Essai\n", "  city: Lyon\n"), "ligne 5 — firm.trade_name: champ obligatoire manquant"),
    # An identifier with a wrong check digit.
    (("company_name: École,", "company_name: École, siret: '73282932000075',"),
     "ligne 11 — clients[0].siret: Numéro SIRET invalide : la clé de contrôle ne correspond pas."),
    # A value of the wrong type.
    (("sale_price: 10,", "sale_price: dix,"), "ligne 9 — products[0].sale_price: nombre attendu"),
    # A key written twice in one mapping.
    (("  name: Essai\n", "  name: Essai\n  name: Bis\n"), "ligne 3 — scenario.name: clé écrite deux fois"),
    # A call plan naming a template or a target the file does not declare.
    (("segment: Écoles}\n", "segment: Écoles}\ncall_plans:\n  - {name: Plan, objective: promotion, template: Offre}\n"),
     "ligne 13 — call_plans[0].template: modèle inconnu « Offre » : déclarez-le dans message_templates"),
    (("segment: Écoles}\n",
      "segment: Écoles}\ncall_plans:\n  - {name: Plan, objective: promotion, targets: [mairie]}\n"),
     "ligne 13 — call_plans[0].targets[0]: tiers inconnu « mairie » : déclarez-le dans clients ou suppliers"),
    # An unknown objective.
    (("segment: Écoles}\n", "segment: Écoles}\ncall_plans:\n  - {name: Plan, objective: vendre}\n"),
     "ligne 13 — call_plans[0].objective: Objet du contact : « vendre » n'est pas une valeur possible"),
])
def test_each_kind_of_error_is_reported_with_path_and_line(change, expected):
    old, new = change
    assert old in MINIMAL
    errors = _errors(MINIMAL.replace(old, new, 1))
    assert any(e.startswith(expected) for e in errors), errors


def test_history_errors_unknown_party_product_order_and_stock():
    source = MINIMAL + """history:
  - {type: quote, key: D1, date: 2026-09-02, party: mairie, lines: [{product: B-2, quantity: 1}]}
  - {type: order, key: C1, source: D1, date: 2026-09-01}
  - {type: stock_move, date: 2026-09-03, product: A-1, kind: loss, quantity: -3}
  - {type: payment, date: 2026-11-01, invoice: F9, method: cheque}
events:
  - {kind: complaint, title: Plainte, day: 0, text: "?", party: inconnu}
"""
    errors = _errors(source)
    assert "ligne 13 — history[0].party: tiers inconnu « mairie »" in errors
    assert "ligne 13 — history[0].lines[0].product: article inconnu « B-2 »" in errors
    assert any(
        e.startswith("ligne 14 — history[1].date: l'historique se lit dans l'ordre chronologique") for e in errors
    )
    assert "ligne 14 — history[1].source: le devis « D1 » doit être accepté (outcome: accepted)" in errors
    assert "ligne 15 — history[2].quantity: le stock de A-1 deviendrait négatif (-3)" in errors
    assert any(e.startswith("ligne 16 — history[3].date: l'historique précède le début") for e in errors)
    assert any(e.startswith("ligne 16 — history[3].invoice: « F9 » ne désigne pas une facture") for e in errors)
    assert "ligne 18 — events[0].party: client ou prospect inconnu « inconnu »" in errors


def test_not_a_scenario_and_binary_are_refused():
    assert _errors("- juste\n- une liste\n")[0].startswith("ligne 1 — le fichier doit commencer")
    with pytest.raises(ScenarioInvalid):
        check_scenario(b"\xff\xfe\x00")


def _load_small(make_firm, classroom=None) -> Firm:
    firm = make_firm(classroom) if classroom else make_firm()
    load_source(firm, small_source())
    db.session.flush()
    return firm


def test_load_replays_history_through_the_services(app_ctx, make_firm):
    from crm.stocks.services import stock_alerts
    from crm.ventes.caisse.models import CounterSale, DailyClosing
    from crm.ventes.documents.models import Invoice, SalesDocument
    from crm.ventes.documents.services import balance_due, overdue_invoices
    from crm.ventes.models import Product

    firm = _load_small(make_firm)
    assert firm.trade_name == "Papeterie test" and firm.siren == "732829320"
    assert firm.business_date == date(2026, 10, 5)
    numbers = sorted(db.session.scalars(select(SalesDocument.number).where(SalesDocument.firm_id == firm.id)))
    assert numbers == ["BC2026-0001", "BL2026-0001", "BL2026-0002", "DE2026-0001", "FA2026-0001"]
    invoice = db.session.scalar(select(Invoice).where(Invoice.firm_id == firm.id))
    # 10 × 6,00 + 2 × 45,00 = 150,00 HT; VAT 20 % 30,00; 180,00 TTC; 50 paid by cheque.
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (D("150.00"), D("30.00"), D("180.00"))
    assert invoice.status == "partially_paid" and balance_due(invoice) == D("130.00")
    assert invoice.due_date == date(2026, 10, 4)  # 4 September + 30 days: overdue on 5 October
    assert [i.number for i in overdue_invoices(firm, firm.business_date)] == ["FA2026-0001"]
    stock = dict(db.session.execute(select(Product.reference, Product.on_hand).where(Product.firm_id == firm.id)).all())
    # RA-A4: 50 − 10 delivered + 40 received; CH-01: 10 − 2; LI-01: 20 − 2 lost − 1 sold at the till.
    assert stock == {"RA-A4": 80, "CH-01": 8, "LI-01": 17, "SV-01": 0}
    sale = db.session.scalar(select(CounterSale).where(CounterSale.firm_id == firm.id))
    assert (sale.number, sale.total_ttc, sale.change_given) == ("TK2026-0001", D("10.55"), D("9.45"))
    assert db.session.scalar(select(DailyClosing.number).where(DailyClosing.firm_id == firm.id)) == "Z2026-0001"
    assert stock_alerts(firm) == []
    # The teacher's setting is not trainees' work: nothing in the journal.
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.firm_id == firm.id)) == 0
    events = db.session.scalars(select(ScenarioEvent).where(ScenarioEvent.firm_id == firm.id)
                                .order_by(ScenarioEvent.due_on)).all()
    assert [(e.kind, e.due_on) for e in events] == [("complaint", date(2026, 10, 5)),
                                                   ("incoming_order", date(2026, 10, 7))]
    assert db.session.scalar(select(FirmScenario.name).where(FirmScenario.firm_id == firm.id)) == "Papeterie test"


def test_a_refusal_during_the_replay_loads_nothing(app_ctx, make_firm):
    from crm.clients.models import Party

    source = small_source().replace("amount: 50, method: cheque", "amount: 500, method: cheque")
    firm = make_firm()
    with pytest.raises(ScenarioInvalid) as caught:
        load_source(firm, source)
    assert caught.value.errors[0].path == "history[5]"
    assert caught.value.errors[0].line == 37
    db.session.rollback()
    assert db.session.scalar(select(Party.id).where(Party.firm_id == firm.id)) is None


def test_a_firm_with_data_is_not_loaded_twice(app_ctx, make_firm):
    from crm.core.errors import DomainError

    firm = _load_small(make_firm)
    with pytest.raises(DomainError, match="contient déjà des données"):
        load_source(firm, small_source())


def test_export_then_load_gives_the_same_firm(app_ctx, make_firm):
    original = _load_small(make_firm)
    first = export_firm(original, name="Aller-retour")
    copy = make_firm()
    load_source(copy, first)
    db.session.flush()
    assert export_firm(copy, name="Aller-retour") == first
    assert copy.business_date == original.business_date


def test_the_shipped_demo_is_rich_enough_and_round_trips(app_ctx, make_firm):
    """≥ 40 products in 5 families, 60 clients and prospects, months of sales, open orders, overdue invoices."""
    from crm.clients.models import Party
    from crm.prospection.models import CallPlan, CallPlanEntry, MessageTemplate
    from crm.stocks.services import stock_alerts
    from crm.ventes.documents.models import SalesDocument
    from crm.ventes.documents.services import overdue_invoices
    from crm.ventes.models import Product, ProductFamily

    firm = make_firm()
    source = (LIBRARY / "comptoir-demo.yaml").read_text(encoding="utf-8")
    load_source(firm, source)
    def count(model, *where):
        return db.session.scalar(select(func.count(model.id)).where(model.firm_id == firm.id, *where))

    assert count(Product) >= 40 and count(ProductFamily) == 5
    assert count(Party, Party.kind.in_(["client", "prospect"])) >= 60
    assert count(Party, Party.kind == "supplier") >= 3
    invoices = db.session.scalars(select(SalesDocument.issue_date).where(
        SalesDocument.firm_id == firm.id, SalesDocument.kind == "invoice")).all()
    assert (max(invoices) - min(invoices)).days > 60
    assert count(SalesDocument, SalesDocument.kind == "order", SalesDocument.status == "confirmed") >= 2
    assert len(overdue_invoices(firm, firm.business_date)) >= 3
    assert len(stock_alerts(firm)) >= 1
    assert count(MessageTemplate) == 5
    plan = db.session.scalar(select(CallPlan).where(CallPlan.firm_id == firm.id))
    assert plan.template.name == "Prise de rendez-vous (courriel)" and len(plan.objections) == 3
    assert count(CallPlanEntry, CallPlanEntry.plan_id == plan.id) == 4
    copy = make_firm()
    text = export_firm(firm, name="Démo")
    load_source(copy, text)
    assert export_firm(copy, name="Démo") == text


def test_cli_check_and_load(app, app_ctx, runner, make_firm, tmp_path):
    good = tmp_path / "bon.yaml"
    good.write_text(small_source(), encoding="utf-8")
    bad = tmp_path / "faux.yaml"
    bad.write_text(MINIMAL.replace("vat_rate: 20}", "vat_rate: 7}"), encoding="utf-8")
    checked = runner.invoke(args=["scenario", "check", str(good)])
    assert checked.exit_code == 0 and "Scénario « Papeterie test » valide : 4 articles" in checked.output
    refused = runner.invoke(args=["scenario", "check", str(bad)])
    assert refused.exit_code == 1
    assert "products[0].vat_rate: taux de TVA inconnu" in refused.output
    firm = make_firm()
    db.session.commit()
    loaded = runner.invoke(args=["scenario", "load", str(good), "--firm", str(firm.id)])
    assert loaded.exit_code == 0, loaded.output
    exported = runner.invoke(args=["scenario", "export", "--firm", str(firm.id)])
    assert exported.exit_code == 0 and "FA2026-0001" in exported.output


def test_the_documented_example_is_valid_and_loads(app_ctx, make_firm):
    """docs/scenarios.md's complete example is checked and loaded as it is written."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    example = doc.split("## Exemple complet commenté")[1].split("```yaml\n")[1].split("```")[0]
    firm = make_firm()
    load_source(firm, example)
    assert firm.business_date == date(2026, 10, 5)


def test_a_template_with_an_unknown_merge_field_is_refused_at_its_path(app_ctx, make_firm):
    """Merge fields are checked by the template service during the load: nothing is kept."""
    from crm.prospection.models import MessageTemplate

    source = MINIMAL + (
        "message_templates:\n"
        "  - {name: Relance, kind: letter, subject: Rappel, body: 'Bonjour {{ prenom_du_chat }}'}\n")
    firm = make_firm()
    with pytest.raises(ScenarioInvalid) as caught:
        load_source(firm, source)
    [error] = caught.value.errors
    assert str(error).startswith("ligne 13 — message_templates[0]: ") and "prenom_du_chat" in str(error)
    assert db.session.scalar(select(func.count(MessageTemplate.id)).where(MessageTemplate.firm_id == firm.id)) == 0


def test_templates_and_call_plans_load_and_round_trip(app_ctx, make_firm):
    from crm.clients.models import Party
    from crm.prospection.models import CallPlan, CallPlanEntry

    source = MINIMAL + (
        "message_templates:\n"
        "  - {name: Rendez-vous, kind: email, subject: 'RDV — {{ entreprise }}', body: 'Quand ?'}\n"
        "call_plans:\n"
        "  - name: Rentrée\n"
        "    objective: appointment\n"
        "    template: rendez-vous\n"
        "    objections: [{objection: Trop cher, answer: Comparons.}]\n"
        "    targets: [ecole]\n")
    firm = make_firm()
    load_source(firm, source)
    plan = db.session.scalar(select(CallPlan).where(CallPlan.firm_id == firm.id))
    assert (plan.name, plan.template.name, plan.starts_on) == ("Rentrée", "Rendez-vous", date(2026, 10, 5))
    targets = db.session.scalars(select(Party.company_name).join(CallPlanEntry, CallPlanEntry.party_id == Party.id)
                                 .where(CallPlanEntry.plan_id == plan.id)).all()
    assert targets == ["École"]
    text = export_firm(firm, name="Aller-retour")
    assert "call_plans:" in text and "message_templates:" in text
    copy = make_firm()
    load_source(copy, text)
    assert export_firm(copy, name="Aller-retour") == text
