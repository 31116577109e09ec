"""The bench's data on PostgreSQL, made in bulk (multi-row inserts, thousands of rows a statement): the
bench account with its own profile of 10 documents and a child's of 10,000; `accounts` other accounts,
each with its own profile, its documents (90,000 in all by default, so 100,010 with the bench
account's) and one or two devices (push subscriptions); `helped` caregivers, each helping one of them
(an active delegation). The schema is dropped and rebuilt first. Used by bench/all.py and
bench/server_bench.py."""

import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

DOCS_SMALL, DOCS_LARGE = 10, 10_000
PASSWORD = "bench-companion-2026 long enough"
OWNER = "bench@example.fr"
CAREGIVER = "aidant{}@bench.example"  # the nth caregiver, each helping one person
TYPES = ["11502-2", "18748-4", "57833-6", "11490-0", "60591-5", "11369-6", "89601-9"]
CLASS_OF = {"11502-2": "11", "18748-4": "18", "57833-6": "57", "11490-0": "11", "60591-5": "60",
            "11369-6": "11", "89601-9": "89"}


@dataclass
class Seeded:
    small: int  # the bench account's own profile (10 documents)
    large: int  # its child's (10,000 documents)
    helped: list[tuple[str, int]]  # each caregiver's e-mail and the profile she reads
    documents: int
    accounts: int
    devices: int
    log_entries: int  # in the access log, the bench account's own among the oldest


def _documents(pid: int, count: int, start: int = 0) -> list[dict]:
    # One in four without a care date, as old papers scanned at home are: a profile of thousands of
    # undated documents once made every list walk the whole table (tests/test_plans_at_scale.py).
    return [dict(profile_id=pid, type_code=TYPES[i % len(TYPES)], class_code=CLASS_OF[TYPES[i % len(TYPES)]],
                 title=f"Compte rendu {i}",
                 care_date=None if i % 4 == 0 else date(2000, 1, 1) + timedelta(days=i % 9000),
                 source="", size=1000, sha256=secrets.token_hex(32), content_type="application/pdf",
                 storage_key=secrets.token_hex(16), wrapped_key="-", origin="upload")
            for i in range(start, start + count)]


def _bulk(table, rows: list[dict], batch: int = 5000) -> None:
    from sqlalchemy import insert

    from companion.extensions import db

    for i in range(0, len(rows), batch):
        db.session.execute(insert(table), rows[i:i + batch])


def _history(conn, own: int, owner: int, large: int, entries: int) -> None:
    """Years of use: an access log of `entries` (the bench account's 600 among the oldest, so a page of
    its log must not be found by walking everybody's), and a tenth of the others' documents in the trash
    lately (the child's 50, a month ago). Written by the database itself: a million rows in seconds. The
    entries' chains are the bench's own, apart from the real ones the caregivers' views extend."""
    from sqlalchemy import text

    conn.execute(text("""
        INSERT INTO access_events (at, actor_id, actor_name, actor_role, profile_id, account_id, action,
                                   object_type, object_id, object_label, prev_hash, hash, chain, seq)
        SELECT now() - interval '1 second' * (:n - g), NULL, '', 'system',
               CASE WHEN g > 600 THEN 1000000 + g % 5000 WHEN g % 3 > 0 THEN :own END,
               CASE WHEN g <= 600 AND g % 3 = 0 THEN :owner END,
               'profile.view', 'profile', '', '', repeat('0', 64), md5(g::text) || md5((-g)::text),
               'bench:' || (g % 5000), g
        FROM generate_series(1, :n) AS g"""), {"n": entries, "own": own, "owner": owner})
    conn.execute(text("""UPDATE documents SET deleted_at = now() - interval '1 hour' * (id % 480)
                         WHERE profile_id NOT IN (:own, :large) AND id % 10 = 0"""),
                 {"own": own, "large": large})
    conn.execute(text("""UPDATE documents SET deleted_at = now() - interval '30 days'
                         WHERE profile_id = :large AND id % 200 = 0"""), {"large": large})


def seed(env: dict, accounts: int = 1000, docs_each: int = 90, helped: int = 50,
         log_entries: int = 1_000_000) -> Seeded:
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from companion import create_app
    from companion.extensions import db
    from companion.models.account import User
    from companion.models.delegation import Delegation
    from companion.models.document import Document
    from companion.models.profile import Profile, ProfileOwner
    from companion.models.push import PushSubscription
    from companion.models.types import utcnow
    from companion.services import accounts as accounts_service
    from companion.services.passwords import hash_password

    app = create_app()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        owner = accounts_service.register(OWNER, PASSWORD, "Camille Banc", locale="fr")
        own = accounts_service.own_profile(owner)
        child = Profile(first_name="Léo", last_name="Banc", birth_date=date(2020, 5, 1))
        db.session.add(child)
        db.session.flush()
        db.session.add(ProfileOwner(profile_id=child.id, user_id=owner.id, relation="parent"))
        now, hashed = utcnow(), hash_password(PASSWORD)
        _bulk(User.__table__, [dict(email=f"person{i}@bench.example", password_hash=hashed, locale="fr",
                                    display_name=f"Personne {i}", timezone="Europe/Paris", role="person",
                                    created_at=now) for i in range(accounts)])
        _bulk(User.__table__, [dict(email=CAREGIVER.format(i), password_hash=hashed, locale="fr",
                                    display_name=f"Aidant {i}", timezone="Europe/Paris", role="person",
                                    created_at=now) for i in range(helped)])
        carers = dict(db.session.execute(select(User.email, User.id).where(
            User.email.like("aidant%@bench.example"))).tuples().all())
        users = list(db.session.scalars(select(User.id).where(User.email.like("person%@bench.example"))
                                        .order_by(User.id)))
        _bulk(Profile.__table__, [dict(user_id=uid, first_name="Personne", last_name=str(uid),
                                       birth_date=date(1950 + uid % 50, 1 + uid % 12, 1), created_at=now)
                                  for uid in users])
        pids = dict(db.session.execute(select(Profile.user_id, Profile.id)
                                       .where(Profile.user_id.in_(users))).tuples().all())
        _bulk(ProfileOwner.__table__, [dict(profile_id=pids[uid], user_id=uid, relation="self",
                                            created_at=now) for uid in users])
        devices = [dict(user_id=uid, endpoint=f"https://push.bench.example/{uid}/{d}", p256dh="-" * 87,
                        auth="-" * 22, device_label="", created_at=now, failures=0)
                   for uid in users for d in range(1 + uid % 2)]
        _bulk(PushSubscription.__table__, devices)
        rows = _documents(own.id, DOCS_SMALL) + _documents(child.id, DOCS_LARGE)
        for n, uid in enumerate(users):
            rows += _documents(pids[uid], docs_each, start=n)
        _bulk(Document.__table__, rows)
        pairs = [(CAREGIVER.format(i), pids[uid]) for i, uid in enumerate(users[:helped])]
        _bulk(Delegation.__table__, [dict(profile_id=pid, caregiver_id=carers[email], granted_by_id=None,
                                          scopes="documents:read agenda", see_hidden=False, created_at=now,
                                          accepted_at=now, expires_at=now + timedelta(days=300), label="")
                                     for email, pid in pairs])
        _history(db.session.connection(), own.id, owner.id, child.id, log_entries)
        db.session.commit()
        # As autovacuum leaves a table in use: statistics and the visibility map (index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        seeded = Seeded(own.id, child.id, pairs, len(rows), accounts + helped + 1, len(devices), log_entries)
        db.engine.dispose()
    return seeded
