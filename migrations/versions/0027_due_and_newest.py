"""the hour's jobs over delegations read what is due (issue 15): accesses that ended with no "expired"
line in the log yet, and accesses ending within a week with no warning sent yet, each from a small
partial index by end date instead of every delegation ever made; reminders other than prevention ones
by due time, for forgetting those sent long ago; and a profile's newest documents across types (the
share and emergency forms) read in order from an index, not sorted from all of them

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

RUNNING = 'accepted_at IS NOT NULL AND revoked_at IS NULL AND declined_at IS NULL'
INDEXES = [
    ('ix_delegations_expiry_unlogged', sa.text(RUNNING + ' AND expiry_logged_at IS NULL')),
    ('ix_delegations_ending_unwarned', sa.text(RUNNING + ' AND reminded_at IS NULL')),
]


LIVE = sa.text('deleted_at IS NULL')
FORGETTABLE = sa.text("kind <> 'prevention'")


def upgrade():
    # SQLite refuses NULLS LAST in an index, and puts NULLs last in a descending order anyway.
    nulls = ' NULLS LAST' if op.get_bind().dialect.name == 'postgresql' else ''
    # Built without locking the tables on PostgreSQL: every caregiver's page reads them.
    with op.get_context().autocommit_block():
        for name, where in INDEXES:
            op.create_index(name, 'delegations', ['expires_at'], postgresql_where=where, sqlite_where=where,
                            postgresql_concurrently=True)
        op.create_index('ix_documents_newest', 'documents',
                        ['profile_id', sa.text(f'care_date DESC{nulls}'), sa.text('id DESC')],
                        postgresql_where=LIVE, sqlite_where=LIVE, postgresql_concurrently=True)
        op.create_index('ix_reminders_forgettable', 'reminders', ['due_at'], postgresql_where=FORGETTABLE,
                        sqlite_where=FORGETTABLE, postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index('ix_reminders_forgettable', table_name='reminders', postgresql_concurrently=True)
        op.drop_index('ix_documents_newest', table_name='documents', postgresql_concurrently=True)
        for name, _where in INDEXES:
            op.drop_index(name, table_name='delegations', postgresql_concurrently=True)
