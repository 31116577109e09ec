"""Push fan-out: 10,000 due reminders (100 accounts x 100 reminders, one device each) sent through
the real chunked batch (claim, renew, encrypt, VAPID-sign, POST on a kept-alive session, record,
mark) by 1 worker process, then by 2, to a local push service on 127.0.0.1 that answers without
decrypting; printed beside the raw aes128gcm encryption rate measured in the same run. PostgreSQL when
COMPANION_BENCH_DATABASE_URL is set (its schema is dropped and rebuilt), else SQLite in a temporary
folder. A measurement, not a timed test.

    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/push_bench.py [--count 10000] [--accounts 100]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from pywebpush import WebPusher  # noqa: E402
from sqlalchemy import text, update  # noqa: E402

from companion import create_app  # noqa: E402
from companion.extensions import db  # noqa: E402
from companion.models.agenda import Reminder  # noqa: E402
from companion.models.push import PushDelivery  # noqa: E402
from companion.services import accounts  # noqa: E402
from companion.services import push as push_service  # noqa: E402
from tests.push_receiver import PushService, b64e  # noqa: E402

LOCAL = push_service.allowed_hosts({"PUSH_ALLOWED_HOSTS": "127.0.0.1"})  # the local push service only
NOW = datetime.now(UTC)


def make_app(url: str, folder: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": folder,
                       "SECRET_KEY": "bench-secret-key-long-enough-000000000", "ENV_NAME": "testing"})


def setup(app, service, count: int, accounts_n: int) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        rows = []
        for n in range(accounts_n):
            user = accounts.register(f"bench{n}@example.fr", None, f"Jeanne Bench{n}", locale="fr",
                                     cost=(1, 1024))
            dev = service.device(f"d{n}")
            push_service.subscribe(user, service.endpoint(f"d{n}"), dev.p256dh, b64e(dev.auth), allowed=LOCAL)
            pid = accounts.own_profile(user).id
            rows += [{"key": f"bench-{n}-{i}", "user_id": user.id, "profile_id": pid, "kind": "prevention",
                      "item_ref": "ADU_FLU", "due_at": NOW, "scheduled_at": NOW, "attempts": 0, "fence": 0,
                      "created_at": NOW} for i in range(count // accounts_n)]
        db.session.execute(Reminder.__table__.insert(), rows)
        db.session.commit()


def reset(app) -> None:
    with app.app_context():
        db.session.execute(update(Reminder).values(sent_at=None, claimed_until=None, attempts=0))
        db.session.execute(PushDelivery.__table__.delete())
        db.session.commit()


def encryption_rate(service, seconds: float = 3.0) -> float:
    """aes128gcm encryptions per second of one payload (ECDH + HKDF + AES-GCM) in one thread."""
    dev = service.devices["d0"]
    info = {"endpoint": service.endpoint("d0"), "keys": {"p256dh": dev.p256dh, "auth": b64e(dev.auth)}}
    data = json.dumps({"title": "Rappel Companion", "url": "/p/1/agenda", "tag": "agenda-1",
                       "body": "Un rappel pour Jeanne vous attend dans Companion."}).encode()
    pusher, n, start = WebPusher(info), 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        pusher.encode(data, "aes128gcm")
        n += 1
    return n / (time.perf_counter() - start)


def worker(url: str, folder: str, keys: str, name: str) -> None:
    """One worker process: wait for the start, send chunks until nothing is due, print the time."""
    from companion.services import reminders

    app = make_app(url, folder)
    sender = push_service.Sender(json.loads(keys), subject="mailto:bench@companion.example", allowed=LOCAL)
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        Path(folder, f"{name}.ready").touch()
        while not Path(folder, "go").exists():
            time.sleep(0.001)
        start = time.perf_counter()
        sent = reminders.send_due(sender, NOW)["sent"]
    print(json.dumps({"sent": sent, "seconds": time.perf_counter() - start}))


def fan_out(url: str, folder: str, workers: int, service) -> tuple[int, float]:
    run = Path(tempfile.mkdtemp(dir=folder))
    keys = json.dumps(push_service.generate_keys())
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(run), keys, f"w{i}"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT) for i in range(workers)]
    while len(list(run.glob("*.ready"))) < workers:
        time.sleep(0.01)
    start = time.perf_counter()
    (run / "go").touch()
    results = [json.loads(p.communicate()[0].splitlines()[-1]) for p in procs]
    elapsed = time.perf_counter() - start
    assert len(service.received) == sum(r["sent"] for r in results), (len(service.received), results)
    return sum(r["sent"] for r in results), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    service = PushService(verify=False)  # the first message is still decrypted and checked
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("COMPANION_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        app = make_app(url, tmp)
        setup(app, service, args.count, args.accounts)
        raw = encryption_rate(service)
        rates = {}
        for workers in (1, 2):
            reset(app)
            service.received.clear()
            sent, elapsed = fan_out(url, tmp, workers, service)
            assert sent == args.count, (sent, args.count)
            rates[workers] = sent / elapsed
        dialect = url.split(":", 1)[0].split("+")[0]
    service.close()
    assert not service.errors, service.errors[:3]
    print(f"database                  {dialect}; {args.count} reminders, {args.accounts} accounts x 1 device")
    print(f"raw encryptions / second  {raw:8.0f}   (aes128gcm only, one thread, same run)")
    for workers, rate in rates.items():
        print(f"fan-out, {workers} worker process(es) {rate:6.0f} msg/s = {rate / raw:6.1%} of raw rate")
    print(f"2 workers / 1 worker      {rates[2] / rates[1]:8.2f}x")
    print(f"load average (1 min)      {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared)")


if __name__ == "__main__":
    main()
