"""one idempotency receipts table for every write the offline outbox may replay (issue 11)

The agenda's outbox_receipts (a key unique across accounts, no request hash) becomes
idempotency_receipts: a key unique per account, the hash of the request, the answer and its type.
Receipts in flight are carried over with an empty hash (any body accepted, as before).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'idempotency_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=80), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_receipts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_receipts')),
        sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_receipts_user_id_key'),
    )
    op.create_index(op.f('ix_idempotency_receipts_created_at'), 'idempotency_receipts', ['created_at'])
    op.execute(
        "INSERT INTO idempotency_receipts (user_id, key, request_hash, action, status, content_type, body,"
        " created_at) SELECT user_id, key, '', action, status, 'application/json', body, created_at"
        " FROM outbox_receipts")
    op.drop_table('outbox_receipts')


def downgrade():
    op.create_table(
        'outbox_receipts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(64), nullable=False, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('action', sa.String(40), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_outbox_receipts_user_id', 'outbox_receipts', ['user_id'])
    # A key used by two accounts can only be kept once in the old table: the oldest wins.
    op.execute(
        "INSERT INTO outbox_receipts (key, user_id, action, status, body, created_at)"
        " SELECT key, user_id, substr(action, 1, 40), status, body, created_at FROM idempotency_receipts r"
        " WHERE r.id = (SELECT min(o.id) FROM idempotency_receipts o WHERE o.key = r.key)")
    op.drop_index(op.f('ix_idempotency_receipts_created_at'), table_name='idempotency_receipts')
    op.drop_table('idempotency_receipts')
