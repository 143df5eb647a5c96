"""Logins: password to change at first login, failures by address

Adding a column and an index: SQLite alters the table in place (no copy).

Revision ID: e8bd4cbba410
Revises: 52b9293e4072
Create Date: 2026-11-29 09:34:44.787794

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8bd4cbba410'
down_revision = '52b9293e4072'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_ip_address_at', ['ip_address', 'at'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_ip_address_at')
