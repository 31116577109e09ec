"""a device signed out from elsewhere (a lost phone) is told to forget everything, the emergency card
kept to show when locked included (issue 16)

Revision ID: 0019
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wipe_all', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('wipe_all')
