"""Legal mentions of a company seller: RCS city, share capital; option for VAT on debits

Revision ID: b3f1e2d4c5a6
Revises: 16be69f270b6
Create Date: 2026-11-29 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1e2d4c5a6'
down_revision = '16be69f270b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rcs_city', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('share_capital', sa.Numeric(precision=14, scale=2), nullable=True))
    with op.batch_alter_table('firm_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_on_debits', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('firm_settings', schema=None) as batch_op:
        batch_op.drop_column('vat_on_debits')
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_column('share_capital')
        batch_op.drop_column('rcs_city')
