"""emergency card per profile, and encrypted shares with a clinician (issue 16)

Revision ID: 0017
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'emergency_cards',
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('allergies', sa.Text(), nullable=False),
        sa.Column('treatments', sa.Text(), nullable=False),
        sa.Column('conditions', sa.Text(), nullable=False),
        sa.Column('devices', sa.Text(), nullable=False),
        sa.Column('contacts', sa.Text(), nullable=False),
        sa.Column('directives', sa.Text(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('blood_group', sa.String(length=3), nullable=False),
        sa.Column('languages', sa.String(length=200), nullable=False),
        sa.Column('gp', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_emergency_cards_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_emergency_cards_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('profile_id', name=op.f('pk_emergency_cards')),
    )


def downgrade():
    op.drop_table('emergency_cards')
