"""documents: indexes for the latest document of each type, the list's order and its count (issue 15)

Revision ID: 0016
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_documents_profile_type_date', 'documents', ['profile_id', 'type_code', 'care_date', 'id'])
    # SQLite refuses NULLS LAST in an index, and puts NULLs last in a descending order anyway.
    nulls = ' NULLS LAST' if op.get_bind().dialect.name == 'postgresql' else ''
    op.create_index('ix_documents_list_order', 'documents',
                    ['profile_id', 'class_code', sa.text(f'care_date DESC{nulls}'), sa.text('id DESC')])
    live = sa.text('deleted_at IS NULL')
    op.create_index('ix_documents_live', 'documents', ['profile_id', 'hidden_at'],
                    postgresql_where=live, sqlite_where=live)


def downgrade():
    op.drop_index('ix_documents_live', table_name='documents')
    op.drop_index('ix_documents_list_order', table_name='documents')
    op.drop_index('ix_documents_profile_type_date', table_name='documents')
