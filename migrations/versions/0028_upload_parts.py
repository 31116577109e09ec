"""files sent in parts, resumed after a cut from the last part that arrived (a weak line)

Revision ID: 0028
Revises: 0027
"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'upload_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('blob', sa.LargeBinary(), nullable=False),
        sa.Column('wrapped_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_upload_parts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_parts')),
        sa.UniqueConstraint('user_id', 'key', 'start', name='uq_upload_parts_user_id_key_start'),
    )
    op.create_index(op.f('ix_upload_parts_created_at'), 'upload_parts', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_upload_parts_created_at'), table_name='upload_parts')
    op.drop_table('upload_parts')
