"""push delivery exactly once: a fencing counter on claims, and per-profile planning marks (issue 13)

Revision ID: 0013
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fence', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'plan_marks',
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('planned_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rules_digest', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_plan_marks_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('profile_id', name=op.f('pk_plan_marks')),
    )


def downgrade():
    op.drop_table('plan_marks')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_column('fence')
