"""PDF rendering: the base document template printed by WeasyPrint, offline."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from crm.core.pdf import (
    BASE_URL,
    firm_logo_uri,
    html_to_pdf,
    image_data_uri,
    offline_url_fetcher,
    pdf_available,
    render_pdf,
)
from tests.core.sample_documents import sample_invoice_context

pytestmark = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load (Pango missing)")


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text, whitespace collapsed (pdftotext from poppler-utils)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def render_sample(app, **options) -> bytes:
    context = sample_invoice_context(**options)
    context["logo_src"] = firm_logo_uri(context["firm"])
    with app.test_request_context():
        return render_pdf("documents/base_document.html", **context)


def test_an_invoice_prints_with_its_legal_mentions(app, tmp_path):
    pdf = render_sample(app)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for expected in [
        # seller identity
        "Mobilia Pro", "SARL au capital de 8 000 €", "SIREN 732829320", "SIRET 73282932000074",
        "N° TVA intracommunautaire FR44732829320", "12 rue des Artisans",
        # client, a business: its SIREN and VAT number; the delivery address
        "Cabinet Durand & Associés", "SIREN 552100554", "N° TVA FR24552100554",
        "ADRESSE DE LIVRAISON", "Entrepôt — quai 3",
        # number, dates, nature of the operation
        "FACTURE", "FA2026-0042", "23/11/2026", "20/11/2026", "23/12/2026", "Vente de marchandises",
        # lines: quantity, unit price HT, rate, amount
        "Chaise empilable Oslo", "45,00 €", "450,00 €", "275,50 €", "551,00 €", "20 %",
        # the cascade and the VAT per rate (hand-checked in tests/ventes/test_computation.py)
        "Montant brut HT 1 601,00 €", "Remise 10 % − 160,10 €", "Rabais 5 % − 72,05 €",
        "Net commercial HT 1 368,85 €", "Escompte 2 % − 27,38 €", "Net financier HT 1 341,47 €",
        "TVA 20 % 268,29 €", "Total TTC 1 609,76 €", "Net à payer 1 609,76 €",
        # payment terms and mentions
        "Paiement à 30 jours", "Pas d'escompte pour paiement anticipé.",
        "pénalités sont exigibles au taux annuel de 10 %",
        "indemnité forfaitaire de 40 € pour frais de recouvrement",
        "Page 1 / 1",
    ]:
        assert expected in text, expected
    assert "brouillon" not in text.lower()


def test_a_private_client_owes_no_recovery_fee_and_a_draft_says_so(app, tmp_path):
    text = pdf_text(render_sample(app, business_client=False, number=None), tmp_path)
    assert "Mme Claire Martin" in text
    assert "40 €" not in text
    assert "Pas d'escompte pour paiement anticipé." in text
    assert "brouillon, sans numéro" in text  # and a rotated BROUILLON watermark (see below)


def test_rendering_is_offline_only_static_files_and_data_uris(app):
    with app.test_request_context():
        fetcher = offline_url_fetcher()
        css = fetcher.fetch(BASE_URL + "static/css/document.css")
        assert b"@page" in css.read()
        assert css.headers.get_content_type() == "text/css"
        assert fetcher.fetch("data:text/plain;base64,Qm9uam91cg==").read() == b"Bonjour"
        for refused in [
            "http://example.com/tracker.png",
            "https://example.com/font.woff2",
            "file:///etc/passwd",
            BASE_URL + "static/../../../etc/passwd",
            BASE_URL + "static/%2e%2e/%2e%2e/config.py",
            BASE_URL + "etc/passwd",
            BASE_URL + "static/css/missing.css",
        ]:
            with pytest.raises(ValueError):
                fetcher.fetch(refused)


def test_a_refused_resource_does_not_stop_the_document(app, tmp_path):
    html = '<html><body><img src="http://example.com/tracker.png"><p>Bonjour</p></body></html>'
    with app.test_request_context():
        pdf = html_to_pdf(html)
    assert "Bonjour" in pdf_text(pdf, tmp_path)


def test_image_data_uri():
    assert image_data_uri(b"\x89PNG", "image/png") == "data:image/png;base64,iVBORw=="
    assert image_data_uri(None, "image/png") is None
    assert image_data_uri(b"<script>", "text/html") is None


def test_the_screen_page_uses_the_same_template(app):
    context = sample_invoice_context()
    with app.test_request_context():
        from flask import render_template

        html = render_template("documents/base_document.html", back_url="/ventes/", pdf_url="/x.pdf", **context)
    assert "Télécharger le PDF" in html
    assert "FA2026-0042" in html
    assert "BROUILLON" not in html
    with app.test_request_context():
        from flask import render_template

        draft = render_template("documents/base_document.html", **sample_invoice_context(number=None))
    assert '<div class="watermark" aria-hidden="true">BROUILLON</div>' in draft
    assert 'style="' not in html and "<script" not in html  # CSP: no inline style or script


def test_a_server_without_weasyprint_says_what_to_install(app, monkeypatch):
    import sys

    from crm.core.pdf import PdfUnavailable

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now fails, as without Pango
    with app.test_request_context(), pytest.raises(PdfUnavailable) as unavailable:
        html_to_pdf("<p>Bonjour</p>")
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in str(unavailable.value)
    assert not pdf_available()


def test_an_archivable_pdf_a_3b_for_e_invoicing(app, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    context = sample_invoice_context()
    with app.test_request_context():
        pdf = render_pdf("documents/base_document.html", pdf_variant="pdf/a-3b", **context)
    path = tmp_path / "facture.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", "-meta", str(path)], check=True, capture_output=True, text=True).stdout
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in info
    # The <title> and the author meta become the PDF's properties.
    assert "Facture FA2026-0042 · Mobilia Pro" in info
    assert "<dc:creator><rdf:Seq><rdf:li>Mobilia Pro</rdf:li>" in info


def test_pdf_response(app):
    from crm.core.pdf import pdf_response

    with app.test_request_context():
        inline = pdf_response(b"%PDF-1.7", "FA2026-0042.pdf")
        download = pdf_response(b"%PDF-1.7", 'a"b/../c.pdf', download=True)
    assert inline.mimetype == "application/pdf"
    assert inline.headers["Content-Disposition"] == 'inline; filename="FA2026-0042.pdf"'
    assert download.headers["Content-Disposition"] == 'attachment; filename="a_b_.._c.pdf"'


def render_text(app, tmp_path, template, **context) -> str:
    with app.test_request_context():
        return pdf_text(render_pdf(f"documents/{template}", **context), tmp_path)


def test_a_quote_shows_its_validity_and_a_signature_box(app, tmp_path):
    from datetime import date
    from types import SimpleNamespace

    context = sample_invoice_context(number="DE2026-0007")
    context["doc"] = SimpleNamespace(**{**vars(context["doc"]), "title": "Devis", "due_date": date(2026, 12, 23),
                                        "valid_until": date(2026, 12, 23), "sale_date": None})
    context["mentions"] = ["Livraison sous 8 jours après acceptation."]
    text = render_text(app, tmp_path, "quote.html", **context)
    for expected in ["DEVIS", "DE2026-0007", "Valable jusqu'au 23/12/2026", "Devis valable jusqu'au 23/12/2026.",
                     "Livraison sous 8 jours après acceptation.", "Total TTC du devis 1 609,76 €",
                     "Bon pour accord", "signature et cachet du client"]:
        assert expected in text, expected


def test_an_order_has_its_signature_box(app, tmp_path):
    from types import SimpleNamespace

    context = sample_invoice_context(number="BC2026-0017")
    context["doc"] = SimpleNamespace(**{**vars(context["doc"]), "title": "Bon de commande"})
    context["mentions"] = []
    text = render_text(app, tmp_path, "order.html", **context)
    for expected in ["BON DE COMMANDE", "BC2026-0017", "Livraison prévue 23/12/2026", "Bon pour commande"]:
        assert expected in text, expected


def test_a_delivery_note_shows_quantities_and_no_price(app, tmp_path):
    from decimal import Decimal as D
    from types import SimpleNamespace

    context = sample_invoice_context(number="BL2026-0021")
    context["doc"] = SimpleNamespace(**{**vars(context["doc"]), "title": "Bon de livraison", "due_date": None,
                                        "payment_method": None})
    context["firm"].iban = ""
    context["lines"] = [
        SimpleNamespace(reference="CH-045", label="Chaise empilable Oslo", description="", unit="",
                        ordered_quantity=D("10"), quantity=D("6"), remaining=D("4")),
        SimpleNamespace(reference="CAB-1", label="Câble électrique", description="", unit="m",
                        ordered_quantity=D("25.5"), quantity=D("25.5"), remaining=D("0")),
    ]
    context.update(totals=None, mentions=[])
    text = render_text(app, tmp_path, "delivery_note.html", **context)
    for expected in ["BON DE LIVRAISON", "BL2026-0021", "Date de livraison 20/11/2026", "Qté commandée",
                     "Chaise empilable Oslo 10 6 4", "Câble électrique 25,5 m 25,5 m 0", "Marchandises reçues",
                     "Entrepôt — quai 3"]:
        assert expected in text, expected
    assert "€" not in text.replace("8 000 €", "")  # no price anywhere (but the share capital)


def test_a_credit_note_cites_the_invoice_it_corrects(app, tmp_path):
    from datetime import date
    from types import SimpleNamespace

    context = sample_invoice_context(number="AV2026-0003")
    context["doc"] = SimpleNamespace(**{
        **vars(context["doc"]), "title": "Avoir", "due_date": None, "reason": "retour de marchandises",
        "credited_invoice": SimpleNamespace(number="FA2026-0042", issue_date=date(2026, 11, 23)),
    })
    context["mentions"] = []
    text = render_text(app, tmp_path, "credit_note.html", **context)
    for expected in ["AVOIR", "AV2026-0003", "Avoir sur la facture FA2026-0042 du 23/11/2026 — retour de marchandises.",
                     "Montant de l'avoir 1 609,76 €"]:
        assert expected in text, expected
