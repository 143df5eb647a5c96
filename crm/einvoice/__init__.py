"""Electronic invoices (Factur-X, EN 16931 CII): issuing, checking, receiving.

- cii.py         the CII XML of a validated invoice or credit note, from the stored document
- facturx.py     the PDF/A-3b with its XML embedded (the file kept at validation)
- validation.py  the checks: Factur-X XSD, then the EN 16931 rules (en16931/, vendored)
"""
