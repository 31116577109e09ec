"""access log and trash: one index range per profile, so a page of one profile's log or trash is read
from its own range however long the whole log or the site's trash is (issue 15); the log's indexes on
the profile or the account alone are replaced

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

LOG_NEW = {'ix_access_events_profile_id_id': ['profile_id', 'id'],
           'ix_access_events_account_id_id': ['account_id', 'id']}
LOG_OLD = {'ix_access_events_profile_id': ['profile_id'], 'ix_access_events_account_id': ['account_id']}
TRASHED = sa.text('deleted_at IS NOT NULL')


def _swap(make, drop):
    # Built without locking the table on PostgreSQL (CONCURRENTLY, outside a transaction): every page a
    # caregiver opens writes the log, and a long lock would stop them all while a large log is indexed.
    with op.get_context().autocommit_block():
        for name, columns in make.items():
            op.create_index(name, 'access_events', columns, postgresql_concurrently=True)
        for name in drop:
            op.drop_index(name, table_name='access_events', postgresql_concurrently=True)


def upgrade():
    _swap(LOG_NEW, LOG_OLD)
    with op.get_context().autocommit_block():
        op.create_index('ix_documents_trash', 'documents', ['profile_id', 'deleted_at', 'id'],
                        postgresql_where=TRASHED, sqlite_where=TRASHED, postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index('ix_documents_trash', table_name='documents', postgresql_concurrently=True)
    _swap(LOG_OLD, LOG_NEW)
