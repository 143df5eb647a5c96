"""Indicators at scale: covering indexes of the stock ledger (CMUP of a day, last move per product)

Revision ID: c0ffee130001
Revises: b09e40685c58
Create Date: 2026-11-29 16:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c0ffee130001'
down_revision = 'b09e40685c58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_product_day')
        batch_op.create_index('ix_stock_move_product_day_cost', ['product_id', 'moved_on', 'id', 'average_cost_after'],
                              unique=False)
        batch_op.create_index('ix_stock_move_firm_product_day', ['firm_id', 'product_id', 'moved_on'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_firm_product_day')
        batch_op.drop_index('ix_stock_move_product_day_cost')
        batch_op.create_index('ix_stock_move_product_day', ['product_id', 'moved_on', 'id'], unique=False)
