"""a monthly cap on what each device downloads by itself (issue 11: data cost)

Revision ID: 0018
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monthly_cap_mb', sa.Integer(), nullable=False, server_default=sa.text('50')))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('monthly_cap_mb')
