"""documents: a search column folded for accents and case, filled for the documents already there,
so "echographie" finds "Échographie" the same way on SQLite and PostgreSQL (issue 14)

Revision ID: 0024
Revises: 0022
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def _fold(text):
    # The rule of companion/models/document.fold, copied: a migration must not change when the app does.
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().replace("œ", "oe").replace("æ", "ae")


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=402), nullable=False, server_default=''))
    conn = op.get_bind()
    docs = sa.table('documents', sa.column('id', sa.Integer), sa.column('title', sa.String),
                    sa.column('source', sa.String), sa.column('search_text', sa.String))
    last = 0
    while True:  # in batches: a large table is never held in memory at once
        rows = conn.execute(sa.select(docs.c.id, docs.c.title, docs.c.source).where(docs.c.id > last)
                            .order_by(docs.c.id).limit(500)).all()
        if not rows:
            break
        conn.execute(docs.update().where(docs.c.id == sa.bindparam('doc_id')),
                     [{'doc_id': r.id, 'search_text': _fold(f"{r.title} {r.source or ''}")} for r in rows])
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('search_text')
