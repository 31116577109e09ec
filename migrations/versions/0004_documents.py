"""health documents, pins and storage (issue 5)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('type_code', sa.String(length=16), nullable=False),
        sa.Column('class_code', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('care_date', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('wrapped_key', sa.String(length=200), nullable=False),
        sa.Column('origin', sa.String(length=8), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('profile_id', 'sha256', name='uq_documents_profile_sha256'),
        sa.UniqueConstraint('storage_key'),
    )
    with op.batch_alter_table('documents') as batch:
        batch.create_index('ix_documents_profile_id', ['profile_id'])
        batch.create_index('ix_documents_deleted_at', ['deleted_at'])
        batch.create_index('ix_documents_profile_care', ['profile_id', 'care_date'])
    op.create_table(
        'document_pins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('document_id', 'user_id', 'device_id', name='uq_document_pins'),
    )
    with op.batch_alter_table('document_pins') as batch:
        batch.create_index('ix_document_pins_document_id', ['document_id'])
        batch.create_index('ix_document_pins_user_id', ['user_id'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('data_saver', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('data_saver')
    op.drop_table('document_pins')
    op.drop_table('documents')
