"""documents: an index for the latest document of each type (key documents at a constant cost, issue 15)

Revision ID: 0016
Revises: 0013
"""
from alembic import op


revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_documents_profile_type_date', 'documents', ['profile_id', 'type_code', 'care_date', 'id'])


def downgrade():
    op.drop_index('ix_documents_profile_type_date', table_name='documents')
