"""verifiable proofs of delegations, consents and revocations; dependent adults managed by a named
person with a legal basis, and the code with which they later claim their profile (issue 17)

Revision ID: 0021
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa



revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'proofs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=True),
        sa.Column('delegation_id', sa.Integer(), nullable=True),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['delegation_id'], ['delegations.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_proofs_profile_id', 'proofs', ['profile_id'])
    op.create_index('ix_proofs_delegation_id', 'proofs', ['delegation_id'])
    op.create_table(
        'dependents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('legal_basis', sa.String(length=24), nullable=False),
        sa.Column('proof_document_id', sa.Integer(), nullable=True),
        sa.Column('review_on', sa.Date(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claim_code_hash', sa.String(length=64), nullable=True),
        sa.Column('claim_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['manager_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['proof_document_id'], ['documents.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('profile_id'),
        sa.UniqueConstraint('claim_code_hash'),
    )


def downgrade():
    op.drop_table('dependents')
    op.drop_index('ix_proofs_delegation_id', table_name='proofs')
    op.drop_index('ix_proofs_profile_id', table_name='proofs')
    op.drop_table('proofs')
