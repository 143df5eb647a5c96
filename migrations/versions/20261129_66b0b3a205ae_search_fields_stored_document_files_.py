"""search fields, stored document files, list indexes

Products get a barcode and a folded search text (the search-as-you-type field),
validated documents a stored file (their PDF, rendered once; later the Factur-X),
and the lists indexes for their filters and sorts.

Revision ID: 66b0b3a205ae
Revises: e8bd4cbba410
Create Date: 2026-11-29 09:35:55.737573

"""
from alembic import op
import sqlalchemy as sa

from crm.core.immutability import create_freeze, drop_freeze
from crm.core.text import fold


# revision identifiers, used by Alembic.
revision = '66b0b3a205ae'
down_revision = 'e8bd4cbba410'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("purpose IN ('pdf', 'facturx')", name=op.f('ck_document_file_purpose')),
    sa.CheckConstraint('size = length(data)', name=op.f('ck_document_file_size')),
    sa.ForeignKeyConstraint(['document_id'], ['sales_document.id'], name=op.f('fk_document_file_document_id_sales_document'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_document_file_firm_id_firm'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file')),
    sa.UniqueConstraint('document_id', 'purpose', name=op.f('uq_document_file_document_id_purpose'))
    )
    op.create_index(op.f('ix_document_file_firm_id'), 'document_file', ['firm_id'], unique=False)
    # A stored file is never changed nor deleted: what was printed at validation stays.
    create_freeze("document_file", when="1 = 1",
                  message="Le fichier d'un document validé ne peut être ni modifié ni supprimé.")

    # Plain ADD COLUMN (no table rebuild), empty for existing rows, then the search text filled in.
    op.add_column('product', sa.Column('barcode', sa.String(length=20), nullable=False, server_default=''))
    op.add_column('product', sa.Column('search_text', sa.String(length=240), nullable=False, server_default=''))
    product = sa.table('product', sa.column('id', sa.Integer), sa.column('reference', sa.String),
                       sa.column('label', sa.String), sa.column('search_text', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(product.c.id, product.c.reference, product.c.label)).all()
    for product_id, reference, label in rows:
        connection.execute(product.update().where(product.c.id == product_id)
                           .values(search_text=fold(f"{reference} {label}")[:240]))
    op.create_index('ix_product_firm_active_reference', 'product', ['firm_id', 'active', 'reference', 'search_text'],
                    unique=False)
    op.create_index('ix_product_firm_barcode', 'product', ['firm_id', 'barcode'], unique=False)
    op.create_index('ix_sales_document_firm_kind_status_due', 'sales_document',
                    ['firm_id', 'kind', 'status', 'due_date'], unique=False)
    op.create_index('ix_product_firm_stock', 'product', ['firm_id', 'active', 'stock_tracked', 'on_hand'], unique=False)
    op.create_index('ix_stock_threshold_levels', 'stock_threshold', ['product_id', 'firm_id', 'alert', 'minimum'],
                    unique=False)
    op.create_index('ix_party_firm_segment', 'party', ['firm_id', 'segment'], unique=False)
    # The party search filters inside the name-order index: its text must fit a B-tree entry.
    party = sa.table('party', sa.column('id', sa.Integer), sa.column('search_text', sa.Text))
    long_texts = connection.execute(sa.select(party.c.id, party.c.search_text)
                                    .where(sa.func.length(party.c.search_text) > 250)).all()
    for party_id, search_text in long_texts:
        connection.execute(party.update().where(party.c.id == party_id)
                           .values(search_text=search_text.encode()[:1000].decode(errors="ignore")))
    op.drop_index('ix_party_firm_sort', table_name='party')
    op.create_index('ix_party_firm_sort', 'party', ['firm_id', 'sort_key', 'id', 'search_text'], unique=False)


def downgrade():
    op.drop_index('ix_party_firm_sort', table_name='party')
    op.create_index('ix_party_firm_sort', 'party', ['firm_id', 'sort_key'], unique=False)
    op.drop_index('ix_party_firm_segment', table_name='party')
    op.drop_index('ix_stock_threshold_levels', table_name='stock_threshold')
    op.drop_index('ix_product_firm_stock', table_name='product')
    op.drop_index('ix_sales_document_firm_kind_status_due', table_name='sales_document')
    op.drop_index('ix_product_firm_barcode', table_name='product')
    op.drop_index('ix_product_firm_active_reference', table_name='product')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('barcode')
    drop_freeze("document_file")
    op.drop_index(op.f('ix_document_file_firm_id'), table_name='document_file')
    op.drop_table('document_file')
