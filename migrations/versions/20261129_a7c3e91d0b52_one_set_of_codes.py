"""One set of codes: English payment modes at the till, English numbering types, seal versions

Till records are sealed in a hash chain: their stored payment modes change here, never
their hashes. Each receipt and closing gets a `seal_version`: 1 for every record sealed
before this migration (verified with the old codes, crm.ventes.codes.LEGACY_PAYMENT_MODES),
2 for the records sealed after it. `flask ventes verify` stays green across the upgrade.

Revision ID: a7c3e91d0b52
Revises: 66b0b3a205ae
Create Date: 2026-11-29 10:00:00

"""
import importlib.util
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e91d0b52'
down_revision = '66b0b3a205ae'
branch_labels = None
depends_on = None

PAYMENT_MODES = {"especes": "cash", "cheque": "cheque", "carte": "card", "virement": "transfer"}
DOCUMENT_TYPES = {
    "devis": "quote", "commande": "order", "livraison": "delivery", "facture": "invoice", "avoir": "credit_note",
    "commande_fournisseur": "purchase_order", "reception": "goods_receipt", "ticket": "receipt",
    "cloture": "daily_closing",
}


def _till_migration():
    """The migration that made the till's triggers: lifting them while codes change, then putting them back."""
    path = next(Path(__file__).parent.glob("*_12f8599ee122_*.py"))
    spec = importlib.util.spec_from_file_location("till_triggers_12f8599ee122", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _recode(modes: dict[str, str], types: dict[str, str]):
    """Rename stored payment modes and numbering types (old → new), the till's triggers lifted meanwhile."""
    till = _till_migration()
    till._drop_triggers()
    with op.batch_alter_table('counter_sale_payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_counter_sale_payment_mode'), type_='check')
    with op.batch_alter_table('document_counter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_document_counter_doc_type'), type_='check')
    for old, new in modes.items():
        if old != new:
            op.execute(sa.text("UPDATE counter_sale_payment SET mode = :new WHERE mode = :old")
                       .bindparams(old=old, new=new))
            op.execute(sa.text("UPDATE daily_closing_total SET key = :new WHERE kind = 'mode' AND key = :old")
                       .bindparams(old=old, new=new))
    for old, new in types.items():
        op.execute(sa.text("UPDATE document_counter SET doc_type = :new WHERE doc_type = :old")
                   .bindparams(old=old, new=new))
    _rename_prefix_keys(types)
    with op.batch_alter_table('counter_sale_payment', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_counter_sale_payment_mode'), _in("mode", modes.values()))
    with op.batch_alter_table('document_counter', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_document_counter_doc_type'), _in("doc_type", types.values()))
    return till


def _rename_prefix_keys(types: dict[str, str]) -> None:
    """firm_settings.number_prefixes holds only the prefixes a firm changed, keyed by numbering type."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, number_prefixes FROM firm_settings")).all()
    for row_id, prefixes in rows:
        if isinstance(prefixes, str):
            prefixes = json.loads(prefixes or "{}")
        if not prefixes:
            continue
        renamed = {types.get(key, key): value for key, value in prefixes.items()}
        connection.execute(sa.text("UPDATE firm_settings SET number_prefixes = :prefixes WHERE id = :id")
                           .bindparams(sa.bindparam("prefixes", type_=sa.JSON()), id=row_id, prefixes=renamed))


def upgrade():
    till = _recode(PAYMENT_MODES, DOCUMENT_TYPES)
    # Every record sealed so far was sealed with the old codes: seal version 1.
    for table in ('counter_sale', 'daily_closing'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('seal_version', sa.Integer(), server_default='1', nullable=False))
    till._create_triggers()


def downgrade():
    modes = {new: old for old, new in PAYMENT_MODES.items()}
    types = {new: old for old, new in DOCUMENT_TYPES.items()}
    till = _recode(modes, types)
    for table in ('counter_sale', 'daily_closing'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('seal_version')
    till._create_triggers()
