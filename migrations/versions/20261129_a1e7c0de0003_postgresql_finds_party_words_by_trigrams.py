"""PostgreSQL finds the words typed in a party's name by trigrams (pg_trgm GIN index on the search text)

Revision ID: a1e7c0de0003
Revises: a1e7c0de0002
Create Date: 2026-11-29 20:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a1e7c0de0003'
down_revision = 'a1e7c0de0002'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite has no trigram index: its search reads the covering index ix_party_firm_sort.
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index('ix_party_search_trigram', 'party', ['search_text'], unique=False,
                    postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_party_search_trigram', table_name='party')
