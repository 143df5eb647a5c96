"""Every URL of the ventes section (prefix /ventes), in one screen; the handlers live beside.

catalogue and pricing: crm/ventes/views.py · sales documents: crm/ventes/documents/views.py ·
till (caisse): crm/ventes/caisse/views.py. Every screen works inside the current firm.
"""
from __future__ import annotations

from crm.core.sections import section_blueprint
from crm.core.tenancy import firm_required
from crm.ventes import views as catalogue
from crm.ventes.caisse import views as caisse
from crm.ventes.documents import views as documents

bp = section_blueprint("ventes", __name__)


@bp.before_request
@firm_required
def _firm_only():
    """Choose a firm first: applied once, to every route below."""


GET, POST, BOTH = ["GET"], ["POST"], ["GET", "POST"]
DOCUMENT_SLUGS = "<any(devis,commandes,livraisons,factures,avoirs):slug>"
DERIVED_KINDS = "<any(order,delivery,invoice,credit_note):kind>"

ROUTES = [
    # catalogue and pricing
    ("/", catalogue.index, GET),
    ("/catalogue", catalogue.list_products, GET),
    ("/catalogue/choix.json", catalogue.pick_products, GET),
    ("/catalogue/nouveau", catalogue.new_product, BOTH),
    ("/catalogue/import", catalogue.import_catalogue, BOTH),
    ("/catalogue/<int:product_id>", catalogue.show_product, GET),
    ("/catalogue/<int:product_id>/modifier", catalogue.edit_product, BOTH),
    ("/catalogue/<int:product_id>/presenter", catalogue.present_product, POST),
    ("/catalogue/<int:product_id>/fiche", catalogue.product_sheet, GET),
    ("/catalogue/<int:product_id>/objections", catalogue.add_objection, POST),
    ("/catalogue/<int:product_id>/objections/<int:objection_id>/supprimer", catalogue.delete_objection, POST),
    ("/catalogue/<int:product_id>/promotions", catalogue.add_promotion, POST),
    ("/catalogue/<int:product_id>/promotions/<int:promotion_id>/supprimer", catalogue.delete_promotion, POST),
    ("/catalogue/familles", catalogue.families, BOTH),
    ("/catalogue/familles/<int:family_id>/supprimer", catalogue.delete_family, POST),
    ("/calculateur", catalogue.pricing_calculator, GET),
    ("/catalogue/<int:product_id>/prix", catalogue.product_pricing, GET),
    ("/catalogue/<int:product_id>/prix", catalogue.apply_pricing, POST),
    # sales documents: quote → order → delivery note → invoice → credit note, payments
    (f"/{DOCUMENT_SLUGS}/", documents.list_documents, GET),
    (f"/{DOCUMENT_SLUGS}/nouveau", documents.new_document, BOTH),
    ("/documents/totaux", documents.running_totals, POST),
    ("/documents/<int:document_id>", documents.show_document, GET),
    ("/documents/<int:document_id>/modifier", documents.edit_document, BOTH),
    ("/documents/<int:document_id>/valider", documents.validate_document, POST),
    ("/documents/<int:document_id>/supprimer", documents.delete_document, POST),
    ("/documents/<int:document_id>/accepter", documents.accept_quote, POST),
    ("/documents/<int:document_id>/refuser", documents.refuse_quote, POST),
    (f"/documents/<int:document_id>/suite/{DERIVED_KINDS}", documents.derive_document, POST),
    ("/documents/<int:document_id>/pdf", documents.document_pdf, GET),
    ("/documents/<int:document_id>/imprimer", documents.print_document, GET),
    ("/documents/<int:document_id>/reglements", documents.record_payment, POST),
    ("/livraisons/facturer", documents.invoice_deliveries, BOTH),
    ("/tiers/<int:party_id>/releve", documents.account_statement, GET),
    ("/impayes", documents.overdue_invoices, GET),
    # till (caisse): counter sales, receipts, daily closings, the chain check
    ("/caisse/", caisse.till, BOTH),
    ("/caisse/tickets", caisse.till_tickets, GET),
    ("/caisse/tickets/<int:sale_id>", caisse.show_receipt, GET),
    ("/caisse/tickets/<int:sale_id>/pdf", caisse.receipt_pdf, GET),
    ("/caisse/cloture/<day>", caisse.close_day, POST),
    ("/caisse/clotures", caisse.till_closings, GET),
    ("/caisse/clotures/<int:closing_id>", caisse.show_closing, GET),
    ("/caisse/clotures/<int:closing_id>/pdf", caisse.closing_pdf, GET),
    ("/caisse/verification", caisse.till_verification, GET),
]

for rule, view, methods in ROUTES:
    bp.add_url_rule(rule, view.__name__, view, methods=methods)
