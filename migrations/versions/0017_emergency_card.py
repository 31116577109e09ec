"""emergency card per profile, and encrypted shares with a clinician (issue 16)

Revision ID: 0017
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0018'
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
        sa.Column('prescription_id', sa.Integer(), nullable=True),
        sa.Column('renewal_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_emergency_cards_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_emergency_cards_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['prescription_id'], ['documents.id'],
                                name=op.f('fk_emergency_cards_prescription_id_documents'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('profile_id', name=op.f('pk_emergency_cards')),
    )
    op.create_table(
        'clinician_shares',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('code_lookup', sa.String(length=64), nullable=False),
        sa.Column('code_wrapped_key', sa.LargeBinary(), nullable=False),
        sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('delegation_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.String(length=200), nullable=False),
        sa.Column('passcode_hash', sa.String(length=200), nullable=True),
        sa.Column('tries_left', sa.Integer(), nullable=False),
        sa.Column('openings', sa.Integer(), nullable=False),
        sa.Column('documents_left', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_clinician_shares_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['delegation_id'], ['delegations.id'],
                                name=op.f('fk_clinician_shares_delegation_id_delegations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_clinician_shares_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clinician_shares')),
        sa.UniqueConstraint('code_lookup', name=op.f('uq_clinician_shares_code_lookup')),
        sa.UniqueConstraint('public_id', name=op.f('uq_clinician_shares_public_id')),
    )
    with op.batch_alter_table('clinician_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinician_shares_profile_id'), ['profile_id'], unique=False)


def downgrade():
    op.drop_table('clinician_shares')
    op.drop_table('emergency_cards')
