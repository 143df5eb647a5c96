"""Firm business date (the simulated calendar) and the firm's time zone setting

Revision ID: 5f98e439750c
Revises: 12f8599ee122
Create Date: 2026-11-29 09:32:16.660700

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f98e439750c'
down_revision = '12f8599ee122'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_date', sa.Date(), nullable=True))

    with op.batch_alter_table('firm_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=40), nullable=False,
                                      server_default='Europe/Paris'))



def downgrade():
    with op.batch_alter_table('firm_settings', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_column('business_date')

