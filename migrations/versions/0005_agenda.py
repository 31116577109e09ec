"""prevention agenda, reminders and web push (issue 6)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        'agenda_items',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('profile_id', sa.Integer(), sa.ForeignKey('profiles.id', ondelete='CASCADE'), nullable=False),
        sa.Column('rule_id', sa.String(40), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        _ts('done_at'),
        sa.Column('snoozed_until', sa.Date(), nullable=True),
        _ts('dismissed_at'),
        sa.Column('dismiss_reason', sa.String(200), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL'), nullable=True),
        _ts('updated_at', False),
        sa.UniqueConstraint('profile_id', 'rule_id'),
    )
    op.create_index('ix_agenda_items_profile_id', 'agenda_items', ['profile_id'])
    op.create_table(
        'personal_reminders',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('profile_id', sa.Integer(), sa.ForeignKey('profiles.id', ondelete='CASCADE'), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('title', sa.String(120), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        _ts('starts_at', False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('repeat', sa.String(8), nullable=False),
        sa.Column('until_on', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL'), nullable=True),
        _ts('created_at', False),
        _ts('deleted_at'),
    )
    op.create_index('ix_personal_reminders_profile_id', 'personal_reminders', ['profile_id'])
    op.create_table(
        'reminder_preferences',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False,
                  unique=True),
        sa.Column('muted_profiles', sa.String(400), nullable=False),
        sa.Column('quiet_start', sa.Integer(), nullable=False),
        sa.Column('quiet_end', sa.Integer(), nullable=False),
        sa.Column('prevention_leads', sa.String(60), nullable=False),
        sa.Column('appointment_leads', sa.String(60), nullable=False),
    )
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(160), nullable=False, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('profile_id', sa.Integer(), sa.ForeignKey('profiles.id', ondelete='CASCADE'), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('item_ref', sa.String(48), nullable=False),
        _ts('due_at', False),
        _ts('scheduled_at', False),
        _ts('claimed_until'),
        sa.Column('claim_token', sa.String(32), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        _ts('next_attempt_at'),
        _ts('sent_at'),
        _ts('failed_at'),
        _ts('created_at', False),
    )
    for col in ('user_id', 'profile_id', 'scheduled_at', 'sent_at'):
        op.create_index(f'ix_reminders_{col}', 'reminders', [col])
    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('endpoint', sa.Text(), nullable=False, unique=True),
        sa.Column('p256dh', sa.String(120), nullable=False),
        sa.Column('auth', sa.String(40), nullable=False),
        sa.Column('device_label', sa.String(120), nullable=False),
        _ts('created_at', False),
        _ts('last_success_at'),
        sa.Column('failures', sa.Integer(), nullable=False),
    )
    op.create_index('ix_push_subscriptions_user_id', 'push_subscriptions', ['user_id'])
    op.create_table(
        'push_deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('reminder_id', sa.Integer(), sa.ForeignKey('reminders.id', ondelete='CASCADE'), nullable=True),
        sa.Column('subscription_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('result', sa.String(16), nullable=False),
        sa.Column('detail', sa.String(200), nullable=False),
        _ts('at', False),
    )
    op.create_index('ix_push_deliveries_reminder_id', 'push_deliveries', ['reminder_id'])
    op.create_index('ix_push_deliveries_subscription_id', 'push_deliveries', ['subscription_id'])
    op.create_table(
        'outbox_receipts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(64), nullable=False, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('action', sa.String(40), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        _ts('created_at', False),
    )
    op.create_index('ix_outbox_receipts_user_id', 'outbox_receipts', ['user_id'])


def downgrade():
    for name in ('outbox_receipts', 'push_deliveries', 'push_subscriptions', 'reminders',
                 'reminder_preferences', 'personal_reminders', 'agenda_items'):
        op.drop_table(name)
