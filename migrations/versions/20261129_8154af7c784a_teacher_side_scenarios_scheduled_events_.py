"""Teacher side: scenarios, scheduled events, assessments, archived firms, business dates of activities and desk requests

Revision ID: 8154af7c784a
Revises: 5f98e439750c
Create Date: 2026-11-29 09:40:22.570705

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8154af7c784a'
down_revision = '5f98e439750c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=14), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('not_assessed', 'not_acquired', 'in_progress', 'acquired', 'mastered')", name=op.f('ck_assessment_level')),
    sa.ForeignKeyConstraint(['assessor_id'], ['user.id'], name=op.f('fk_assessment_assessor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assessment_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_user_code', ['user_id', 'code', 'assessed_on'], unique=False)

    op.create_table('scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_scenario_author_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario'))
    )
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_author_id'), ['author_id'], unique=False)

    op.create_table('scenario_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_time', sa.Time(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('fired_at', sa.DateTime(), nullable=True),
    sa.Column('fired_by_id', sa.Integer(), nullable=True),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('desk_request', 'complaint', 'phone_message', 'email', 'supplier_delay', 'incoming_order')", name=op.f('ck_scenario_event_kind')),
    sa.ForeignKeyConstraint(['fired_by_id'], ['user.id'], name=op.f('fk_scenario_event_fired_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_scenario_event_firm_id_firm'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_event'))
    )
    with op.batch_alter_table('scenario_event', schema=None) as batch_op:
        batch_op.create_index('ix_scenario_event_due', ['firm_id', 'fired_at', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_event_firm_id'), ['firm_id'], unique=False)

    op.create_table('firm_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_by_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_firm_scenario_firm_id_firm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['loaded_by_id'], ['user.id'], name=op.f('fk_firm_scenario_loaded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_firm_scenario_scenario_id_scenario'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_scenario')),
    sa.UniqueConstraint('firm_id', name=op.f('uq_firm_scenario_firm_id'))
    )
    with op.batch_alter_table('firm_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_scenario_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_scenario_scenario_id'), ['scenario_id'], unique=False)

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('observer_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_activity_user_at', ['user_id', 'at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_activity_observer_id_user'), 'user', ['observer_id'], ['id'], ondelete='SET NULL')

    # The grid reads counts per trainee and code from activity_competency alone.
    with op.batch_alter_table('activity_competency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('firm_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_activity_competency_user_id_user'), 'user', ['user_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_activity_competency_firm_id_firm'), 'firm', ['firm_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_activity_competency_user_code_at', ['user_id', 'code', 'at'], unique=False)
    for column in ("user_id", "firm_id", "at"):
        op.execute(f"UPDATE activity_competency SET {column} = "
                   f"(SELECT activity.{column} FROM activity WHERE activity.id = activity_competency.activity_id)")

    # Requests recorded before business dates existed: the day they were recorded (UTC).
    with op.batch_alter_table('desk_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
    day = "date(created_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(created_at AS DATE)"
    op.execute(f"UPDATE desk_request SET received_on = {day}")
    with op.batch_alter_table('desk_request', schema=None) as batch_op:
        batch_op.alter_column('received_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_desk_request_firm_received', ['firm_id', 'received_on'], unique=False)

    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('archive_note', sa.String(length=255), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('activity_competency', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_competency_user_code_at')
        batch_op.drop_constraint(batch_op.f('fk_activity_competency_firm_id_firm'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_activity_competency_user_id_user'), type_='foreignkey')
        batch_op.drop_column('at')
        batch_op.drop_column('firm_id')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_column('archive_note')
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('desk_request', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_request_firm_received')
        batch_op.drop_column('received_on')

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activity_observer_id_user'), type_='foreignkey')
        batch_op.drop_index('ix_activity_user_at')
        batch_op.drop_column('observer_id')
        batch_op.drop_column('business_date')

    with op.batch_alter_table('firm_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_scenario_scenario_id'))
        batch_op.drop_index(batch_op.f('ix_firm_scenario_firm_id'))

    op.drop_table('firm_scenario')
    with op.batch_alter_table('scenario_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_event_firm_id'))
        batch_op.drop_index('ix_scenario_event_due')

    op.drop_table('scenario_event')
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_author_id'))

    op.drop_table('scenario')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_user_code')

    op.drop_table('assessment')
