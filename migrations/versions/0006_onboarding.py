"""structures, mediators and assisted sessions (issue 7)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'structures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=160), nullable=False),
        sa.Column('commune_code', sa.String(length=5), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_structures_lead_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_structures')),
        sa.UniqueConstraint('name', name=op.f('uq_structures_name')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('structure_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_structure_id'), ['structure_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_structure_id_structures'), 'structures',
                                    ['structure_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'assisted_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('mediator_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('code_expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_hash', sa.String(length=64), nullable=True),
        sa.Column('shared_device', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['mediator_id'], ['users.id'],
                                name=op.f('fk_assisted_sessions_mediator_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['person_id'], ['users.id'],
                                name=op.f('fk_assisted_sessions_person_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['structure_id'], ['structures.id'],
                                name=op.f('fk_assisted_sessions_structure_id_structures'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_sessions')),
        sa.UniqueConstraint('device_hash', name=op.f('uq_assisted_sessions_device_hash')),
    )
    with op.batch_alter_table('assisted_sessions', schema=None) as batch_op:
        for col in ('code_hash', 'created_at', 'mediator_id', 'person_id', 'structure_id'):
            batch_op.create_index(batch_op.f(f'ix_assisted_sessions_{col}'), [col], unique=False)
    op.create_table(
        'assisted_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['assisted_sessions.id'],
                                name=op.f('fk_assisted_steps_session_id_assisted_sessions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_steps')),
        sa.UniqueConstraint('session_id', 'name', name=op.f('uq_assisted_steps_session_id')),
    )
    with op.batch_alter_table('assisted_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assisted_steps_session_id'), ['session_id'], unique=False)
    op.create_table(
        'assisted_recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('mediator_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['mediator_id'], ['users.id'],
                                name=op.f('fk_assisted_recovery_codes_mediator_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['structure_id'], ['structures.id'],
                                name=op.f('fk_assisted_recovery_codes_structure_id_structures'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_assisted_recovery_codes_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_recovery_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_assisted_recovery_codes_code_hash')),
    )
    with op.batch_alter_table('assisted_recovery_codes', schema=None) as batch_op:
        for col in ('created_at', 'mediator_id', 'structure_id', 'user_id'):
            batch_op.create_index(batch_op.f(f'ix_assisted_recovery_codes_{col}'), [col], unique=False)


def downgrade():
    op.drop_table('assisted_recovery_codes')
    op.drop_table('assisted_steps')
    op.drop_table('assisted_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_structure_id_structures'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_structure_id'))
        batch_op.drop_column('structure_id')
    op.drop_table('structures')
