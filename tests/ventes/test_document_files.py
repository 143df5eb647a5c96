"""A validated document's PDF is printed once, at validation, stored, and served unchanged forever."""
import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from crm.clients import services as party_services
from crm.core.models import Firm, User
from crm.core.pdf import pdf_available
from crm.extensions import db
from crm.ventes.documents import services, storage
from crm.ventes.documents.models import DocumentFile
from tests.querycount import counting
from tests.ventes.test_documents import _document, _form, _new, _validate, shop  # noqa: F401 - fixture

pytestmark = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load its system libraries here")


def _files(document):
    return db.session.scalars(select(DocumentFile).where(DocumentFile.document_id == document.id)).all()


def test_validation_stores_the_pdf_once_and_downloads_serve_those_bytes(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    assert _files(invoice) == []
    draft_pdf = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
    assert draft_pdf.status_code == 200 and draft_pdf.data.startswith(b"%PDF")
    assert _files(invoice) == []  # a draft prints on demand, nothing stored

    _validate(shop, invoice)
    [stored] = _files(invoice)
    assert (stored.purpose, stored.content_type, stored.filename) == (
        "facturx", "application/pdf", f"{invoice.number}.pdf")  # an invoice's PDF is its Factur-X
    assert stored.size == len(stored.data) and stored.sha256 == hashlib.sha256(stored.data).hexdigest()
    assert stored.data.startswith(b"%PDF")

    # Later changes to the firm and the client do not change the validated invoice's PDF.
    firm = db.session.get(Firm, shop.firm.id)
    firm.trade_name = "Nouveau nom commercial"
    party_services.update_party(shop.client, None, {**{f: getattr(shop.client, f) for f in party_services.PARTY_FIELDS},
                                                    "company_name": "Lycée renommé", "city": "Paris"})
    db.session.commit()
    for _ in range(2):
        response = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data == stored.data
        assert f'filename="{invoice.number}.pdf"' in response.headers["Content-Disposition"]
    assert len(_files(invoice)) == 1


def test_a_stored_pdf_is_served_from_one_read_of_its_file(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    [stored] = _files(invoice)
    with counting(db.engine) as tally:
        response = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
    assert response.data == stored.data
    reads = [s for s in tally.statements if "FROM document_file" in s]
    assert len(reads) == 1 and "document_file.data" in reads[0]
    assert not [s for s in tally.statements if "FROM sales_line" in s]  # the lines are not needed


def test_the_pdf_is_printed_after_the_commit_outside_any_transaction(shop, monkeypatch):
    printed_inside = []
    real = storage.html_to_pdf

    def spy(html, *args, **kwargs):
        printed_inside.append(db.session().in_transaction())
        return real(html, *args, **kwargs)

    monkeypatch.setattr(storage, "html_to_pdf", spy)
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    assert printed_inside == [False]  # once, with the validation committed and no transaction open
    assert invoice.number and len(_files(invoice)) == 1


def test_a_refused_validation_prints_and_stores_nothing(shop, monkeypatch):
    calls = []
    monkeypatch.setattr(storage, "html_to_pdf", lambda html, *a, **k: calls.append(html) or b"%PDF-")
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    credit_note = _document(shop.browser.post(f"/ventes/documents/{invoice.id}/suite/credit_note", {},
                                              form_page="/ventes/devis/"))
    calls.clear()
    db.session.execute(text("UPDATE sales_line SET quantity = 1000 WHERE document_id = :id"), {"id": credit_note.id})
    db.session.commit()
    response = _validate(shop, credit_note)  # more than the invoice: refused
    assert response.status_code == 303
    assert credit_note.number is None and calls == [] and _files(credit_note) == []


def test_a_document_validated_without_its_file_is_printed_at_the_first_download_then_kept(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    services.validate_document(invoice, db.session.scalar(select(User).filter_by(username="eleve_a")))
    db.session.commit()
    assert _files(invoice) == []
    first = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf").data
    [stored] = _files(invoice)
    assert stored.data == first
    assert shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf").data == first


def test_the_database_refuses_to_change_or_delete_a_stored_file(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    [stored] = _files(invoice)
    for statement in ("UPDATE document_file SET data = :x, size = 1 WHERE id = :id",
                      "DELETE FROM document_file WHERE id = :id"):
        with pytest.raises(DatabaseError), db.session.begin_nested():
            db.session.execute(text(statement), {"x": b"x", "id": stored.id})
