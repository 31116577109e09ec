"""download everything: one archive per profile, built by the queue, kept 7 days (issue 17)

Revision ID: 0022
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('running_for', sa.Integer(), nullable=True),
        sa.Column('locale', sa.String(length=8), nullable=False),
        sa.Column('estimated_size', sa.BigInteger(), nullable=False),
        sa.Column('parts_done', sa.Integer(), nullable=False),
        sa.Column('parts_total', sa.Integer(), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('storage_key', sa.String(length=64), nullable=True),
        sa.Column('wrapped_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_data_exports_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_data_exports_requested_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
        sa.UniqueConstraint('running_for', name=op.f('uq_data_exports_running_for')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_data_exports_storage_key')),
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index('ix_data_exports_expires', ['expires_at'], unique=False)


def downgrade():
    op.drop_table('data_exports')
