"""profiles, delegation invitations and access log retention (issue 4)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('term', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('expiry_logged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_delegations_invited_email'), ['invited_email'], unique=False)


def downgrade():
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_invited_email'))
        batch_op.drop_column('expiry_logged_at')
        batch_op.drop_column('term')
        batch_op.drop_column('label')
