"""A sample invoice context for base_document.html (the Bac Pro case of test_computation)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from crm.core.firm_settings import due_date, payment_mentions
from crm.core.models import FirmSettings
from crm.ventes.computation import LineInput, compute_document

# A 1×1 PNG would be invisible; a small SVG logo shows where the logo goes.
LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    b'<rect width="40" height="40" rx="8" fill="#1e3a8a"/>'
    b'<text x="20" y="28" font-family="Liberation Sans" font-size="24" font-weight="700" '
    b'fill="#fff" text-anchor="middle">M</text>'
    b'</svg>'
)


def sample_firm(**overrides):
    values = dict(
        trade_name="Mobilia Pro",
        legal_form="SARL au capital de 8 000 €",
        address_lines=["12 rue des Artisans", "Zone d'activité du Moulin", "44300 Nantes"],
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        phone="02 40 12 34 56",
        email="contact@mobilia-pro.fr",
        website="www.mobilia-pro.fr",
        iban="FR76 3000 6000 0112 3456 7890 189",
        bic="AGRIFRPP",
        logo=LOGO_SVG,
        logo_mimetype="image/svg+xml",
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def sample_invoice_context(business_client: bool = True, number: str | None = "FA2026-0042"):
    issued = date(2026, 11, 23)
    rows = [
        ("CH-045", "Chaise empilable Oslo", "Hêtre massif, assise tissu gris", 10, "45.00"),
        ("TB-120", "Table de réunion 160 × 80", "Plateau mélaminé chêne clair", 5, "120.00"),
        ("AR-275", "Armoire haute à rideaux", "H 198 cm, 4 tablettes, serrure", 2, "275.50"),
    ]
    lines = [LineInput(quantity, D(price), D("20")) for _, _, _, quantity, price in rows]
    totals = compute_document(lines, remise=10, rabais=5, escompte=2)
    settings = FirmSettings(escompte_terms="")
    return dict(
        firm=sample_firm(),
        logo_src=None,
        doc=SimpleNamespace(
            title="Facture",
            number=number,
            issue_date=issued,
            sale_date=date(2026, 11, 20),
            due_date=due_date(settings, issued),
            nature="Vente de marchandises",
            references=["Bon de commande BC2026-0017 du 12/11/2026", "Bon de livraison BL2026-0021 du 20/11/2026"],
            client_code="C0042",
            notes="",
            payment_method="Virement bancaire",
        ),
        client=SimpleNamespace(
            name="Cabinet Durand & Associés" if business_client else "Mme Claire Martin",
            address_lines=["8 boulevard Guist'hau", "44000 Nantes"],
            is_business=business_client,
            siren="552100554" if business_client else "",
            vat_number="FR24552100554" if business_client else "",
        ),
        delivery_address_lines=["Cabinet Durand & Associés", "Entrepôt — quai 3", "2 rue de la Loire", "44400 Rezé"],
        lines=[
            SimpleNamespace(
                reference=ref, label=label, description=description, quantity=c.quantity, unit="",
                unit_price=c.unit_price, discount_rate=c.discount_rate, vat_rate=c.vat_rate, net=c.net,
            )
            for (ref, label, description, _, _), c in zip(rows, totals.lines, strict=True)
        ],
        totals=totals,
        mentions=payment_mentions(settings, business_client=business_client),
    )
