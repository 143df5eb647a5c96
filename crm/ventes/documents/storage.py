"""The files of validated documents: rendered once, stored, served as they were.

A validated document's PDF is printed at validation and kept in `document_file`
(bytes, SHA-256, content type); it never changes afterwards, whatever happens to
the firm's identity, the client's address or the templates (database triggers
refuse any UPDATE or DELETE of a stored file). Drafts print on demand.

Printing takes ~150 ms of WeasyPrint, which must not happen while the database's
write lock is held (SQLite has one for the whole database): the validating
request renders the HTML (fast, it reads the frozen document) inside its
transaction, then, once that transaction has committed and released the lock,
WeasyPrint turns the HTML into PDF outside any transaction, and the file is
inserted by a short transaction of its own (crm.core.web.after_commit). Should
that step fail (server stopped, WeasyPrint missing), the first download prints
the document then and stores that file instead: "once" still holds.

Invoices and credit notes are e-invoices: their one file has the purpose "facturx",
a PDF/A-3b printed from the same template with the EN 16931 CII XML (generated from
the stored document inside the validating transaction, crm.einvoice) embedded.
"""
from __future__ import annotations

import hashlib
import logging
from functools import cache

from flask import g
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import undefer

from crm.core.database import begin_writing
from crm.core.firm_settings import insert_ignoring_conflict
from crm.core.pdf import PdfUnavailable, html_to_pdf
from crm.core.web import after_commit
from crm.einvoice import issuing
from crm.extensions import db
from crm.ventes.documents import printing
from crm.ventes.documents.models import DocumentFile, SalesDocument

PDF = "pdf"
FACTURX = "facturx"
PDF_TYPE = "application/pdf"
_log = logging.getLogger(__name__)


def filename_of(document: SalesDocument) -> str:
    return f"{document.number or 'brouillon-' + str(document.id)}.pdf"


def purpose_of(document: SalesDocument) -> str:
    """What a validated document's PDF is: Factur-X for invoices and credit notes, a plain PDF otherwise."""
    return FACTURX if issuing.is_einvoice(document) else PDF


def stored_file(document: SalesDocument, purpose: str | None = None, with_data: bool = False) -> DocumentFile | None:
    """The stored file; its bytes (deferred) loaded in the same query when `with_data`."""
    return db.session.scalar(_stored_file_statement(with_data),
                             {"document_id": document.id, "purpose": purpose or purpose_of(document)})


@cache
def _stored_file_statement(with_data: bool) -> Select:
    """The file of the bound document and purpose (built once: every document page asks)."""
    statement = select(DocumentFile).where(DocumentFile.document_id == bindparam("document_id"),
                                           DocumentFile.purpose == bindparam("purpose"))
    return statement.options(undefer(DocumentFile.data)) if with_data else statement


def store_file(document_id: int, firm_id: int, purpose: str, content_type: str, filename: str,
               data: bytes) -> None:
    """Keep a validated document's file; the first one stored wins (flush only)."""
    insert_ignoring_conflict(DocumentFile, {
        "firm_id": firm_id, "document_id": document_id, "purpose": purpose, "content_type": content_type,
        "filename": filename, "data": data, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
    }, ["document_id", "purpose"])


def _sources(document: SalesDocument) -> tuple[str, bytes | None]:
    """What the file is made of, read inside the transaction: the HTML, and the CII XML of an e-invoice."""
    html = printing.document_html(document)
    xml = issuing.xml_of(document) if issuing.is_einvoice(document) else None
    return html, xml


def _render(html: str, xml: bytes | None) -> tuple[str, bytes]:
    """The file (no database access): a plain PDF, or the Factur-X PDF/A-3b with its XML embedded."""
    if xml is None:
        return PDF, html_to_pdf(html)
    pdf = html_to_pdf(html, issuing.PDF_VARIANT)
    try:
        return FACTURX, issuing.facturx_pdf(pdf, xml)
    except issuing.FacturxError:
        # Never expected (tests check the XSD on every kind of document); the document is still
        # served, as a PDF/A without its XML, and the error is logged for the administrator.
        _log.exception("Factur-X not produced")
        return PDF, pdf


def store_pdf_after_commit(document: SalesDocument) -> None:
    """At validation: the HTML and XML now (frozen data), the PDF and its storage once the validation committed.

    Once per document and request, whoever asks (the validating view, the delivery hook).
    """
    if any(getattr(task, "document_id", None) == document.id for task in g.get("after_commit", [])):
        return  # already scheduled by this request
    html, xml = _sources(document)
    document_id, firm_id, filename = document.id, document.firm_id, filename_of(document)

    def print_and_store() -> None:
        try:
            purpose, data = _render(html, xml)  # no database access: no lock held meanwhile
        except PdfUnavailable:
            return  # printed (and stored) at the first download, once WeasyPrint is installed
        store_file(document_id, firm_id, purpose, PDF_TYPE, filename, data)
        db.session.commit()  # a short write transaction of its own
        if purpose == FACTURX:
            _deliver(document_id)
            db.session.commit()

    print_and_store.document_id = document_id
    after_commit(print_and_store)


def _deliver(document_id: int) -> None:
    """The stored Factur-X goes to the buyer firm if the document's client is one (crm.einvoice)."""
    from crm.einvoice.services import deliver

    deliver(document_id)


def stored_pdf(document: SalesDocument) -> DocumentFile | None:
    """A validated document's stored file with its bytes: its Factur-X, or a plain PDF (kept when
    the Factur-X could not be made), or None when it is not printed yet."""
    return stored_file(document, with_data=True) or stored_file(document, PDF, with_data=True)


def ensure_stored(document: SalesDocument) -> DocumentFile:
    """A validated document's stored file, printed and stored now if it is not yet (a request that writes)."""
    stored = stored_pdf(document)
    if stored is None:
        document_id, firm_id, filename = document.id, document.firm_id, filename_of(document)
        purpose, data = _render(*_sources(document))
        begin_writing()  # a download is a GET: it only now knows it writes
        store_file(document_id, firm_id, purpose, PDF_TYPE, filename, data)
        stored = db.session.scalar(select(DocumentFile).where(  # the winner's bytes if two downloads raced
            DocumentFile.document_id == document_id, DocumentFile.purpose == purpose))
        if purpose == FACTURX:
            _deliver(document_id)
    return stored


def pdf_of(document: SalesDocument) -> bytes:
    """The PDF to serve: a draft's printed now; a validated document's as stored (printed once).

    Validated before files were stored, or its printing after validation failed (or
    validated outside a request): printed now from the read snapshot (no write lock
    held), then stored, and delivered to the buyer firm if it is one.
    """
    if document.is_draft:
        return html_to_pdf(printing.document_html(document))
    return ensure_stored(document).data
