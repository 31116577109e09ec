"""a login's hard end: a shared computer's login made in a help session ends with the session

Revision ID: 0029
Revises: 0028
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions') as batch:
        batch.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_sessions') as batch:
        batch.drop_column('ends_at')
