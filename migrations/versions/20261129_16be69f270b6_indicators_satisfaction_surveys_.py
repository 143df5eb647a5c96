"""Indicators: satisfaction surveys, performance analyses, indexes for the CMUP lookup and the tickets of a period

Revision ID: 16be69f270b6
Revises: a7c3e91d0b52
Create Date: 2026-11-29 09:42:59.920882

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16be69f270b6'
down_revision = 'a7c3e91d0b52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('performance_analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('period_label', sa.String(length=120), nullable=False),
    sa.Column('strengths', sa.Text(), nullable=False),
    sa.Column('proposals', sa.Text(), nullable=False),
    sa.Column('written_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_performance_analysis_period')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_performance_analysis_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_performance_analysis_firm_id_firm'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_analysis'))
    )
    with op.batch_alter_table('performance_analysis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_analysis_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_analysis_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index('ix_performance_analysis_firm_period', ['firm_id', 'period_start', 'period_end'], unique=False)

    op.create_table('satisfaction_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=12), nullable=False),
    sa.Column('desk_request_id', sa.Integer(), nullable=True),
    sa.Column('counter_sale_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('overall', sa.Integer(), nullable=True),
    sa.Column('welcome', sa.Integer(), nullable=True),
    sa.Column('advice', sa.Integer(), nullable=True),
    sa.Column('would_recommend', sa.Boolean(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(subject = 'desk_request' AND desk_request_id IS NOT NULL AND counter_sale_id IS NULL AND invoice_id IS NULL) OR (subject = 'counter_sale' AND counter_sale_id IS NOT NULL AND desk_request_id IS NULL AND invoice_id IS NULL) OR (subject = 'invoice' AND invoice_id IS NOT NULL AND desk_request_id IS NULL AND counter_sale_id IS NULL)", name=op.f('ck_satisfaction_survey_one_subject')),
    sa.CheckConstraint("subject IN ('desk_request', 'counter_sale', 'invoice')", name=op.f('ck_satisfaction_survey_subject')),
    sa.CheckConstraint('(answered_at IS NULL) = (overall IS NULL)', name=op.f('ck_satisfaction_survey_answered')),
    sa.CheckConstraint('advice IS NULL OR advice BETWEEN 1 AND 5', name=op.f('ck_satisfaction_survey_advice')),
    sa.CheckConstraint('overall IS NULL OR overall BETWEEN 1 AND 5', name=op.f('ck_satisfaction_survey_overall')),
    sa.CheckConstraint('welcome IS NULL OR welcome BETWEEN 1 AND 5', name=op.f('ck_satisfaction_survey_welcome')),
    sa.ForeignKeyConstraint(['counter_sale_id'], ['counter_sale.id'], name=op.f('fk_satisfaction_survey_counter_sale_id_counter_sale'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_satisfaction_survey_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['desk_request_id'], ['desk_request.id'], name=op.f('fk_satisfaction_survey_desk_request_id_desk_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_satisfaction_survey_firm_id_firm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['sales_document.id'], name=op.f('fk_satisfaction_survey_invoice_id_sales_document'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_survey')),
    sa.UniqueConstraint('counter_sale_id', name=op.f('uq_satisfaction_survey_counter_sale_id')),
    sa.UniqueConstraint('desk_request_id', name=op.f('uq_satisfaction_survey_desk_request_id')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_satisfaction_survey_invoice_id'))
    )
    with op.batch_alter_table('satisfaction_survey', schema=None) as batch_op:
        batch_op.create_index('ix_satisfaction_survey_firm_answered', ['firm_id', 'answered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_survey_firm_id'), ['firm_id'], unique=False)

    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.create_index('ix_stock_move_product_day', ['product_id', 'moved_on', 'id'], unique=False)
    # A plain CREATE INDEX: counter_sale is sealed (triggers) and must not be rebuilt by a batch copy.
    op.create_index('ix_counter_sale_firm_day', 'counter_sale', ['firm_id', 'sale_date'], unique=False)



def downgrade():
    op.drop_index('ix_counter_sale_firm_day', table_name='counter_sale')
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_product_day')

    with op.batch_alter_table('satisfaction_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfaction_survey_firm_id'))
        batch_op.drop_index('ix_satisfaction_survey_firm_answered')

    op.drop_table('satisfaction_survey')
    with op.batch_alter_table('performance_analysis', schema=None) as batch_op:
        batch_op.drop_index('ix_performance_analysis_firm_period')
        batch_op.drop_index(batch_op.f('ix_performance_analysis_firm_id'))
        batch_op.drop_index(batch_op.f('ix_performance_analysis_author_id'))

    op.drop_table('performance_analysis')
