"""the hour's jobs over delegations read what is due (issue 15): accesses that ended with no "expired"
line in the log yet, and accesses ending within a week with no warning sent yet, each from a small
partial index by end date instead of every delegation ever made

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


def upgrade():
    # Built without locking the table on PostgreSQL: every caregiver's page reads it.
    with op.get_context().autocommit_block():
        for name, where in INDEXES:
            op.create_index(name, 'delegations', ['expires_at'], postgresql_where=where, sqlite_where=where,
                            postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        for name, _where in INDEXES:
            op.drop_index(name, table_name='delegations', postgresql_concurrently=True)
