"""PDF documents: the same Jinja templates as the pages, printed by WeasyPrint.

WeasyPrint is imported on first use, so that the application still starts (and
says clearly what is missing) on a server without the Pango system libraries.
Rendering never touches the network: the only resources a document may use
are the application's static files and data: URIs (the firm's logo).
"""
from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Response, current_app, render_template

MISSING_LIBRARIES = "libpango-1.0-0 libpangoft2-1.0-0"
# A base URL that cannot be resolved: every relative URL of a document lands here,
# and the fetcher serves from it only the static folder.
BASE_URL = "http://comptoir.invalid/"
_log = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run on this server; the message says what to install (French)."""


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the Pango shared libraries are missing
        raise PdfUnavailable(
            "La création des PDF n'est pas disponible sur ce serveur : il manque les "
            f"bibliothèques système de WeasyPrint. L'administrateur doit installer les "
            f"paquets Debian « {MISSING_LIBRARIES} » (apt-get install {MISSING_LIBRARIES})."
        ) from error
    return weasyprint


def pdf_available() -> bool:
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def html_to_pdf(html: str, pdf_variant: str | None = None) -> bytes:
    """Print an HTML string (A4 pages per its CSS) to PDF bytes (needs an app context).

    `pdf_variant="pdf/a-3b"` writes an archivable PDF/A-3b, the base of Factur-X e-invoices.
    """
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=offline_url_fetcher())
    return document.write_pdf(pdf_variant=pdf_variant)


def offline_url_fetcher():
    """A WeasyPrint URL fetcher serving the app's static files and data: URIs, nothing else."""
    weasyprint = _weasyprint()
    folder = Path(current_app.static_folder).resolve()
    static_prefix = current_app.static_url_path + "/"

    class OfflineFetcher(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}/" == BASE_URL and parts.path.startswith(static_prefix):
                path = (folder / unquote(parts.path[len(static_prefix):])).resolve()
                if path.is_relative_to(folder) and path.is_file():
                    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return weasyprint.urls.URLFetcherResponse(
                        url, path.read_bytes(), headers={"Content-Type": mimetype}
                    )
            _log.warning("PDF: resource refused (offline rendering): %s", url)
            raise ValueError(f"resource not available to PDF rendering: {url}")

    return OfflineFetcher()


def render_pdf(template_name: str, pdf_variant: str | None = None, **context) -> bytes:
    """Render a Jinja template with `for_pdf=True` and print it to PDF (needs an app context)."""
    return html_to_pdf(render_template(template_name, for_pdf=True, **context), pdf_variant)


def pdf_response(pdf: bytes, filename: str, download: bool = False) -> Response:
    """The PDF as a response a browser shows (or downloads), e.g. filename "FA2026-0042.pdf"."""
    response = Response(pdf, mimetype="application/pdf")
    disposition = "attachment" if download else "inline"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename) or "document.pdf"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def image_data_uri(data: bytes | None, mimetype: str) -> str | None:
    """An image as a data: URI, for the firm's logo (kept in the database, not a file)."""
    if not data or not mimetype.startswith("image/"):
        return None
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def firm_logo_uri(firm) -> str | None:
    return image_data_uri(firm.logo, firm.logo_mimetype or "")
