"""The invoices still to be settled, by due date, in a partial index (the overdue list's page)

Revision ID: a1e7c0de0004
Revises: a1e7c0de0003
Create Date: 2026-11-29 22:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1e7c0de0004'
down_revision = 'a1e7c0de0003'
branch_labels = None
depends_on = None

# Word for word the condition of crm.ventes.documents.models.unsettled_invoices_sql() at this revision.
UNSETTLED_INVOICES = "kind = 'invoice' AND status IN ('unpaid', 'partially_paid')"


def upgrade():
    op.create_index('ix_sales_document_unsettled_due', 'sales_document', ['firm_id', 'due_date', 'id'],
                    unique=False, sqlite_where=sa.text(UNSETTLED_INVOICES),
                    postgresql_where=sa.text(UNSETTLED_INVOICES))


def downgrade():
    op.drop_index('ix_sales_document_unsettled_due', table_name='sales_document')
