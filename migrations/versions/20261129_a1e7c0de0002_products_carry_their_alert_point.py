"""Products carry their alert point (the greater of their threshold's alert and minimum), indexed for the alert count

Revision ID: a1e7c0de0002
Revises: c0ffee130001
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1e7c0de0002'
down_revision = 'c0ffee130001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_point', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE product SET alert_point = (SELECT CASE WHEN t.alert >= t.minimum THEN t.alert ELSE t.minimum END "
        "FROM stock_threshold t WHERE t.product_id = product.id)"
    )
    op.create_index('ix_product_in_alert', 'product', ['firm_id', 'active', 'stock_tracked'], unique=False,
                    sqlite_where=sa.text('on_hand <= alert_point'),
                    postgresql_where=sa.text('on_hand <= alert_point'))


def downgrade():
    op.drop_index('ix_product_in_alert', table_name='product')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('alert_point')
