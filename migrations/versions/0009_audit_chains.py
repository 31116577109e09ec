"""access log: one keyed chain per profile, signed checkpoints, refusals counted (issue 12)

Existing entries are re-chained into the new scheme (one chain per profile or account, HMAC with the
key from COMPANION_AUDIT_KEY), in their original order, and a first signed checkpoint anchors them.
Downgrading recomputes the former single unkeyed chain.

Revision ID: 0009
Revises: 0006
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

from companion.models.types import UTCDateTime

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
COLUMNS = ("id", "at", "actor_id", "actor_name", "actor_role", "profile_id", "account_id", "action",
           "object_type", "object_id", "object_label", "prev_hash", "hash", "chain", "seq")


def _events():
    return sa.table("access_events", *(sa.column(c, UTCDateTime() if c == "at" else None) for c in COLUMNS))


def _create_tables():
    op.create_table(
        'audit_chains',
        sa.Column('chain', sa.String(length=24), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chains')),
    )
    op.create_table(
        'audit_checkpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    )
    op.create_index(op.f('ix_audit_checkpoints_at'), 'audit_checkpoints', ['at'], unique=False)
    op.create_table(
        'audit_refusals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_refusals')),
        sa.UniqueConstraint('actor_id', 'profile_id', 'hour', name=op.f('uq_audit_refusals_actor_id')),
    )
    op.create_index('ix_audit_refusals_event_id', 'audit_refusals', ['event_id'], unique=False)


def _rechain(conn) -> dict:
    """Give every existing entry its chain, number and HMAC, in id order; return the heads."""
    from companion.services import audit, audit_keys

    key = audit_keys.load(audit_keys.CHAIN_KEY, current_app.config)
    events, heads = _events(), {}
    for row in conn.execute(sa.select(events).order_by(events.c.id)).all():
        entry = dict(row._mapping)
        entry["chain"] = audit.chain_of(entry["profile_id"], entry["account_id"])
        seq, prev = heads.get(entry["chain"], (0, GENESIS))
        entry.update(seq=seq + 1, prev_hash=prev)
        entry["hash"] = audit.digest(key, _Row(entry))
        conn.execute(events.update().where(events.c.id == entry["id"]).values(
            chain=entry["chain"], seq=entry["seq"], prev_hash=prev, hash=entry["hash"]))
        heads[entry["chain"]] = (entry["seq"], entry["hash"])
    return heads


class _Row:
    def __init__(self, values: dict):
        self.__dict__.update(values)


def _first_checkpoint(conn, heads: dict) -> None:
    if not heads:
        return
    from companion.models.types import utcnow
    from companion.services import audit_checkpoints, audit_keys
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(audit_keys.load(audit_keys.SIGNING_KEY, current_app.config))
    now = utcnow()
    data = {"v": 1, "at": now.isoformat(), "reason": "migration",
            "heads": {c: list(h) for c, h in sorted(heads.items())}, "anchors": {}}
    signed = audit_checkpoints.sign(data, key)
    table = sa.table("audit_checkpoints", sa.column("at", UTCDateTime()), sa.column("reason"),
                     sa.column("body"), sa.column("signature"), sa.column("key_id"))
    conn.execute(table.insert().values(at=now, reason="migration", body=signed.body,
                                       signature=signed.signature, key_id=signed.key_id))
    chains = sa.table("audit_chains", sa.column("chain"), sa.column("seq"), sa.column("last_hash"))
    conn.execute(chains.insert(), [{"chain": c, "seq": s, "last_hash": h} for c, (s, h) in heads.items()])


def upgrade():
    _create_tables()
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    conn = op.get_bind()
    _first_checkpoint(conn, _rechain(conn))
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_access_events_chain'), ['chain', 'seq'])
    op.drop_table('audit_head')


def _old_digest(e) -> str:
    payload = json.dumps([
        e["at"].isoformat(timespec="microseconds"), e["actor_id"], e["actor_name"], e["actor_role"],
        e["profile_id"], e["account_id"], e["action"], e["object_type"], e["object_id"], e["object_label"],
        e["prev_hash"],
    ], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def downgrade():
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('anchor_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    conn, events, last = op.get_bind(), _events(), GENESIS
    for row in conn.execute(sa.select(events).order_by(events.c.id)).all():
        entry = {**row._mapping, "prev_hash": last}
        last = _old_digest(entry)
        conn.execute(events.update().where(events.c.id == entry["id"]).values(prev_hash=entry["prev_hash"],
                                                                              hash=last))
    head = sa.table("audit_head", sa.column("id"), sa.column("last_hash"), sa.column("anchor_hash"))
    conn.execute(head.insert().values(id=1, last_hash=last, anchor_hash=GENESIS))
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_access_events_chain'), type_='unique')
        batch_op.drop_column('seq')
        batch_op.drop_column('chain')
    op.drop_index('ix_audit_refusals_event_id', table_name='audit_refusals')
    op.drop_table('audit_refusals')
    op.drop_index(op.f('ix_audit_checkpoints_at'), table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_chains')
