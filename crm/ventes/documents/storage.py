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

Factur-X (e-invoicing) adds its own purpose ("facturx": PDF/A-3 with the CII XML)
the same way: `store_file(document, "facturx", "application/pdf", …)`.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from crm.core.database import begin_writing
from crm.core.firm_settings import insert_ignoring_conflict
from crm.core.pdf import PdfUnavailable, html_to_pdf
from crm.core.web import after_commit
from crm.extensions import db
from crm.ventes.documents import printing
from crm.ventes.documents.models import DocumentFile, SalesDocument

PDF = "pdf"
PDF_TYPE = "application/pdf"


def filename_of(document: SalesDocument) -> str:
    return f"{document.number or 'brouillon-' + str(document.id)}.pdf"


def stored_file(document: SalesDocument, purpose: str = PDF) -> DocumentFile | None:
    return db.session.scalar(select(DocumentFile).where(DocumentFile.document_id == document.id,
                                                        DocumentFile.purpose == purpose))


def store_file(document_id: int, firm_id: int, purpose: str, content_type: str, filename: str,
               data: bytes) -> None:
    """Keep a validated document's file; the first one stored wins (flush only)."""
    insert_ignoring_conflict(DocumentFile, {
        "firm_id": firm_id, "document_id": document_id, "purpose": purpose, "content_type": content_type,
        "filename": filename, "data": data, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
    }, ["document_id", "purpose"])


def store_pdf_after_commit(document: SalesDocument) -> None:
    """At validation: the HTML now (frozen data), the PDF and its storage once the validation committed."""
    html = printing.document_html(document)
    document_id, firm_id, filename = document.id, document.firm_id, filename_of(document)

    def print_and_store() -> None:
        try:
            data = html_to_pdf(html)  # no database access: no lock held meanwhile
        except PdfUnavailable:
            return  # printed (and stored) at the first download, once WeasyPrint is installed
        store_file(document_id, firm_id, PDF, PDF_TYPE, filename, data)
        db.session.commit()  # a short write transaction of its own

    after_commit(print_and_store)


def pdf_of(document: SalesDocument) -> bytes:
    """The PDF to serve: a draft's printed now; a validated document's as stored (printed once)."""
    if document.is_draft:
        return html_to_pdf(printing.document_html(document))
    stored = stored_file(document)
    if stored is None:
        # Validated before files were stored, or its printing after validation failed:
        # printed now from the read snapshot (no write lock held), then stored.
        document_id, firm_id, filename = document.id, document.firm_id, filename_of(document)
        data = html_to_pdf(printing.document_html(document))
        begin_writing()  # a download is a GET: it only now knows it writes
        store_file(document_id, firm_id, PDF, PDF_TYPE, filename, data)
        stored = db.session.scalar(select(DocumentFile).where(  # the winner's bytes if two downloads raced
            DocumentFile.document_id == document_id, DocumentFile.purpose == PDF))
    return stored.data
