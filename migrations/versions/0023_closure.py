"""closing a child's profile or a whole account after a cooling-off period (issue 17); the access log's
actor, profile and account columns stop being foreign keys, so the log outlives what it names

Revision ID: 0023
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa



revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None

LOG_KEYS = (('actor_id', 'users'), ('profile_id', 'profiles'), ('account_id', 'users'))


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite gives a new row the largest id plus one: a closed account or profile that had the
        # largest id would hand its id, and so its retained access log, to the next one. AUTOINCREMENT
        # never gives an id twice (PostgreSQL's sequences never do).
        for table in ('users', 'profiles'):
            with op.batch_alter_table(table, recreate='always',
                                      table_kwargs={'sqlite_autoincrement': True}):
                pass
    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['users.id'], name=op.f('fk_closures_account_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_closures_profile_id_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_closures_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures')),
    sa.UniqueConstraint('account_id', name=op.f('uq_closures_account_id')),
    sa.UniqueConstraint('profile_id', name=op.f('uq_closures_profile_id'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_closes_at'), ['closes_at'], unique=False)
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        for column, table in LOG_KEYS:
            batch_op.drop_constraint(f'fk_access_events_{column}_{table}', type_='foreignkey')


def downgrade():
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        for column, table in LOG_KEYS:
            batch_op.create_foreign_key(f'fk_access_events_{column}_{table}', table, [column], ['id'],
                                        ondelete='SET NULL')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_closes_at'))
    op.drop_table('closures')
