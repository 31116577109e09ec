"""families over time (issue 17): a child's stage as they grow up (notice, teen, adult) and what the
teen lets the parents see, the single-use codes that give a teen their own login, and how an account
wants its reminders (one message a day, or each one)

Revision ID: 0020
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # If SQLite recreates the table it must keep AUTOINCREMENT (0023: a closed profile's id is never reused).
    with op.batch_alter_table('profiles', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=12), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('parent_scopes', sa.String(length=200), nullable=False,
                                      server_default='agenda'))
        batch_op.add_column(sa.Column('stage_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('keep_parents', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('reminder_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batching', sa.String(length=8), nullable=False, server_default='daily'))
    op.create_table(
        'teen_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    op.create_index('ix_teen_codes_profile_id', 'teen_codes', ['profile_id'])


def downgrade():
    op.drop_index('ix_teen_codes_profile_id', table_name='teen_codes')
    op.drop_table('teen_codes')
    with op.batch_alter_table('reminder_preferences', schema=None) as batch_op:
        batch_op.drop_column('batching')
    with op.batch_alter_table('profiles', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('keep_parents')
        batch_op.drop_column('stage_at')
        batch_op.drop_column('parent_scopes')
        batch_op.drop_column('stage')
