"""Pages of a list (Flask-SQLAlchemy's pagination), counted only when the page cannot tell."""
from __future__ import annotations

from flask_sqlalchemy.pagination import SelectPagination

# Rows on a page of every list: one size everywhere, so that "page 3" covers the same rows on
# every screen, 25 being about what a school screen shows without scrolling far (and the size
# French ERPs such as Dolibarr use by default).
PER_PAGE = 25


class Pagination(SelectPagination):
    """A page of a list, whose total is read from the page itself when it is not full.

    Most lists of a practice firm fit on their first page: a page with room to spare is the
    last one, so the total is the rows before it plus its own, and counting them all again
    would be one more query on every visit. A full page, or a page past the end, is counted.
    """

    def _query_count(self) -> int:
        if self.items and len(self.items) < self.per_page:
            return (self.page - 1) * self.per_page + len(self.items)
        if not self.items and self.page == 1:
            return 0
        return super()._query_count()
