"""what waits to be sent, read from small indexes however long the history (issue 15): reminders and
e-mails not yet sent nor given up, push deliveries by time for their pruning; who appears in an access
log, one index step per person; e-mail addresses stored
lower-cased, as the accounts service has always written them, so a login finds its account by the
unique index

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

WAITING = sa.text('sent_at IS NULL AND failed_at IS NULL')
INDEXES = [  # name, table, columns, partial
    ('ix_reminders_waiting', 'reminders', ['scheduled_at'], WAITING),
    ('ix_mail_outbox_waiting', 'mail_outbox', ['id'], WAITING),
    ('ix_push_deliveries_at', 'push_deliveries', ['at'], None),
    # Who appears in a log, one step per person (the access log's "who" filter): grouping a profile's
    # whole history instead read all of it on every view of the page.
    ('ix_access_events_profile_actor', 'access_events', ['profile_id', 'actor_id', 'id'], None),
    ('ix_access_events_account_actor', 'access_events', ['account_id', 'actor_id', 'id'], None),
]


def upgrade():
    # An address typed with capitals before the service lower-cased them all: the lookup is exact now.
    op.execute("UPDATE users SET email = lower(email) WHERE email <> lower(email)")
    # Built without locking the tables on PostgreSQL: the queue claims reminders every minute.
    with op.get_context().autocommit_block():
        for name, table, columns, where in INDEXES:
            op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where,
                            postgresql_concurrently=True)
        # PostgreSQL guessed "not sent" and "not given up" independent: with many given up (not sent
        # either) it guessed thousands waiting where there were ten, and read them all by this index.
        # What else reads reminders by sent_at also reads by account or profile, through their indexes.
        op.drop_index('ix_reminders_sent_at', table_name='reminders', postgresql_concurrently=True)
        # Nothing reads the log by its actor alone; those above lead with the log's owner.
        op.drop_index('ix_access_events_actor_id', table_name='access_events', postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.create_index('ix_reminders_sent_at', 'reminders', ['sent_at'], postgresql_concurrently=True)
        op.create_index('ix_access_events_actor_id', 'access_events', ['actor_id'], postgresql_concurrently=True)
        for name, table, _columns, _where in INDEXES:
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
