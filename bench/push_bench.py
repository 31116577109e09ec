"""Push throughput: send 10,000 due reminders through the real batch (claim, encrypt, VAPID-sign,
POST, record) to a local push service on 127.0.0.1, and print messages per second next to the raw
aes128gcm encryption rate measured in the same run. A measurement, not a timed test.

    .venv/bin/python bench/push_bench.py [--count 10000] [--workers 1]
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from pywebpush import WebPusher
from sqlalchemy import insert

from companion import create_app
from companion.extensions import db
from companion.models.agenda import Reminder
from companion.services import accounts, reminders
from companion.services import push as push_service
from tests.push_receiver import PushService, b64e

LOCAL = push_service.allowed_hosts({"PUSH_ALLOWED_HOSTS": "127.0.0.1"})  # the local push service only

NOW = datetime.now(UTC)


def setup(app, service, count: int) -> None:
    with app.app_context():
        upgrade()
        user = accounts.register("bench@example.fr", None, "Jeanne Bench", locale="fr", cost=(1, 1024))
        profile = user.id  # the account's own profile is created with it
        dev = service.device("bench")
        push_service.subscribe(user, service.endpoint("bench"), dev.p256dh, b64e(dev.auth), allowed=LOCAL)
        from companion.models.profile import Profile

        profile = db.session.query(Profile).filter_by(user_id=user.id).one()
        profile.birth_date = date(1959, 5, 4)
        rows = [{"key": f"bench-{i}", "user_id": user.id, "profile_id": profile.id, "kind": "prevention",
                 "item_ref": "ADU_FLU", "due_at": NOW, "scheduled_at": NOW, "attempts": 0, "created_at": NOW}
                for i in range(count)]
        db.session.execute(insert(Reminder), rows)
        db.session.commit()


def encryption_rate(service, seconds: float = 3.0) -> float:
    """aes128gcm encryptions per second of the same payload (ECDH + HKDF + AES-GCM), nothing else."""
    dev = service.devices["bench"]
    info = {"endpoint": service.endpoint("bench"), "keys": {"p256dh": dev.p256dh, "auth": b64e(dev.auth)}}
    data = json.dumps({"title": "Rappel Companion", "url": "/p/1/agenda", "tag": "agenda-1",
                       "body": "Un rappel pour Jeanne vous attend dans Companion."}).encode()
    pusher, n, start = WebPusher(info), 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        pusher.encode(data, "aes128gcm")
        n += 1
    return n / (time.perf_counter() - start)


def send_all(app, sender, workers: int) -> tuple[int, float]:
    totals = []

    def run():
        with app.app_context():
            totals.append(reminders.send_due(sender, NOW, limit=500)["sent"])
            db.session.remove()

    start = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(totals), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    service = PushService(verify=False)  # the first message is still decrypted and checked
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "INSTANCE_DIR": tmp,
                          "SECRET_KEY": "bench-secret-key-long-enough-000000000", "ENV_NAME": "testing"})
        setup(app, service, args.count)
        sender = push_service.Sender(push_service.generate_keys(), subject="mailto:bench@companion.example",
                                   allowed=LOCAL)
        raw = encryption_rate(service)
        sent, elapsed = send_all(app, sender, args.workers)
    service.close()
    assert sent == args.count == len(service.received), (sent, len(service.received))
    assert not service.errors, service.errors[:3]
    first = service.received[0]["payload"]
    print(f"reminders sent            {sent} in {elapsed:.1f} s ({args.workers} batch worker(s), SQLite)")
    print(f"messages per second       {sent / elapsed:8.0f}   (claim, encrypt, POST, record)")
    print(f"raw encryptions / second  {raw:8.0f}   (aes128gcm only, same payload, same run)")
    print(f"first payload decrypted   {first['body']!r}")
    print(f"load average (1 min)      {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared)")


if __name__ == "__main__":
    main()
