"""Push fan-out through the real queue: 10,000 due reminders for 1,000 accounts with one or two devices
each (about 13,300 messages) handed out by the reminders job's own `fan_out` as chunk tasks, taken by
queue worker processes (Huey consumers running companion/tasks.py's `send_chunk`: claim, renew,
encrypt, VAPID, POST on kept-alive connections, record, mark), first 1 worker process, then 2, to a
local push service on 127.0.0.1 that answers without decrypting (tests/lean_push_service.py, which
still checks a sample fully). Printed beside the raw encryption rate measured in the same run: the same
function the real path calls for each message (pywebpush's aes128gcm with a new ephemeral key), one
thread, the higher of a measure before and after the fan-outs.

PostgreSQL when COMPANION_BENCH_DATABASE_URL is set (its schema is dropped and rebuilt), else SQLite in
a temporary folder. The queue is Redis when COMPANION_BENCH_QUEUE_URL is set (the queue's own keys
there are emptied first), else Huey's SQLite storage (it polls: up to 0.1 s of lag). The cores are
shared with whatever else runs, so the last lines give what a message costs the workers in CPU, which
does not depend on it. A measurement, not a test.

    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
    COMPANION_BENCH_QUEUE_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/push_bench.py [--count 10000] [--accounts 1000] [--threads 2]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text, update  # noqa: E402

from companion import create_app  # noqa: E402
from companion.extensions import db  # noqa: E402
from companion.models.agenda import Reminder  # noqa: E402
from companion.models.push import PushDelivery, PushSubscription  # noqa: E402
from companion.services import accounts, delivery  # noqa: E402
from companion.services import push as push_service  # noqa: E402
from tests.lean_push_service import LeanPushService  # noqa: E402
from tests.push_receiver import b64e  # noqa: E402

LOCAL = push_service.allowed_hosts({"PUSH_ALLOWED_HOSTS": "127.0.0.1"})  # the local push service only
NOW = datetime.now(UTC)
KEYS = push_service.generate_keys()


def settings(url: str, folder: str, queue_url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": folder, "QUEUE_URL": queue_url,
            "SECRET_KEY": "bench-secret-key-long-enough-000000000", "ENV_NAME": "testing",
            "PUSH_ALLOWED_HOSTS": "127.0.0.1", "VAPID_PRIVATE_KEY": KEYS["private_key"],
            "VAPID_PUBLIC_KEY": KEYS["public_key"], "VAPID_SUBJECT": "mailto:bench@companion.example"}


def setup(app, service, count: int, accounts_n: int) -> int:
    """Accounts n = 0, 3, 6... have two devices, the others one. Returns the messages expected."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        rows, per = [], count // accounts_n
        for n in range(accounts_n):
            user = accounts.register(f"bench{n}@example.fr", None, f"Jeanne Bench{n}", locale="fr",
                                     cost=(1, 1024))
            for token in [f"d{n}", f"e{n}"][:1 + (n % 3 == 0)]:
                dev = service.device(token)
                push_service.subscribe(user, service.endpoint(token), dev.p256dh, b64e(dev.auth),
                                       allowed=LOCAL)
            pid = accounts.own_profile(user).id
            rows += [{"key": f"bench-{n}-{i}", "user_id": user.id, "profile_id": pid, "kind": "prevention",
                      "item_ref": "ADU_FLU", "due_at": NOW, "scheduled_at": NOW, "attempts": 0, "fence": 0,
                      "created_at": NOW} for i in range(per)]
        db.session.execute(Reminder.__table__.insert(), rows)
        db.session.commit()
        return per * db.session.scalar(select(func.count()).select_from(PushSubscription))


def reset(app) -> None:
    with app.app_context():
        db.session.execute(update(Reminder).values(sent_at=None, claimed_until=None, attempts=0))
        db.session.execute(PushDelivery.__table__.delete())
        db.session.commit()


def encryption_rate(app, seconds: float = 3.0) -> tuple[float, float]:
    """Encryptions per second in one thread, by the function each message goes through, over the
    devices in turn (a new ephemeral key each time, as on the real path); and CPU seconds each."""
    with app.app_context():
        subs = db.session.execute(select(PushSubscription.endpoint, PushSubscription.p256dh,
                                         PushSubscription.auth)).all()
    data = json.dumps({"title": "Rappel Companion", "url": "/p/1/agenda", "tag": "agenda-1",
                       "body": "Un rappel pour Jeanne vous attend dans Companion."}).encode()
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        push_service.encrypt(subs[n % len(subs)], data)
        n += 1
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n


def worker(url: str, folder: str, queue_url: str, threads: str) -> None:
    """One queue worker process, as `flask worker --no-periodic` runs it (settings passed directly)."""
    from companion.tasks import make_queue, register

    app = create_app(settings(url, folder, queue_url))
    tasks = register(make_queue(queue_url, folder), app)
    print("ready", flush=True)
    consumer = tasks.queue.create_consumer(workers=int(threads), worker_type="thread", periodic=False,
                                           max_delay=0.1)  # only the SQLite storage polls
    consumer.run()


def unsent(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Reminder).where(
                Reminder.sent_at.is_(None))) or 0
        finally:
            db.session.remove()


def fan_out(app, url, folder, queue_url, workers: int, threads: int) -> tuple[float, float]:
    """Start the workers, wait until they listen, hand out the due reminders as the reminders job does,
    and time until every reminder is marked sent. Returns that time and the workers' CPU seconds."""
    from companion.tasks import make_queue, register

    tasks = register(make_queue(queue_url, folder), app)
    tasks.queue.flush()
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, folder, queue_url, str(threads)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(workers)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    time.sleep(2)  # the consumers are started and waiting
    before = sum(cpu(proc.pid) for proc in procs)
    start = time.perf_counter()
    with app.app_context():
        tasks.fan_out(delivery.due_count(delivery.utcnow()))
        db.session.remove()
    while unsent(app):
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    used = sum(cpu(proc.pid) for proc in procs) - before
    for proc in procs:
        proc.send_signal(signal.SIGINT)  # Huey's graceful stop: finish the task at hand
        proc.wait(timeout=60)
    return elapsed, used


def cpu(pid: int) -> float:
    """CPU seconds a process has used so far (user + system, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=2, help="queue worker threads per process")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    service = LeanPushService()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("COMPANION_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        queue_url = os.environ.get("COMPANION_BENCH_QUEUE_URL", "")
        app = create_app(settings(url, tmp, queue_url))
        expected = setup(app, service, args.count, args.accounts)
        raw = [encryption_rate(app)]
        rates, costs = {}, {}
        for workers in (1, 2):
            reset(app)
            service.counts.clear()
            elapsed, used = fan_out(app, url, tmp, queue_url, workers, args.threads)
            time.sleep(0.5)  # anything sent twice would arrive by now
            assert service.received == expected, (service.received, expected)
            assert set(service.counts.values()) == {args.count // args.accounts}, "one message per device"
            rates[workers] = expected / elapsed
            costs[workers] = used / expected
        raw.append(encryption_rate(app))
        dialect = url.split(":", 1)[0].split("+")[0]
    service.close()
    assert not service.errors and service.checked, (service.checked, service.errors[:3])
    report(args, dialect, queue_url, expected, raw, rates, costs, service.checked)


def report(args, dialect, queue_url, expected, measures, rates, costs, checked) -> None:
    """The measured ratios; then, because the cores are shared, what a message costs the workers in
    encryptions' worth of CPU (the ratio one worker would reach with a whole core to itself)."""
    raw, enc_cpu = max(m[0] for m in measures), min(m[1] for m in measures)
    queue = "redis" if queue_url else "sqlite"
    print(f"database, queue           {dialect}, {queue}; {args.count} reminders, {args.accounts} accounts, "
          f"{expected} messages ({checked} fully checked), {args.threads} thread(s) per worker")
    print(f"raw encryptions / second  {raw:8.0f}   ({1e6 / raw:.0f} us each: the real path's encryption, "
          "one thread, same run)")
    for workers, rate in rates.items():
        print(f"fan-out, {workers} worker process(es) {rate:6.0f} msg/s = {rate / raw:6.1%} of raw rate; "
              f"workers' CPU {costs[workers] * 1e6:.0f} us/msg, {rate * costs[workers]:.2f} core(s) busy")
    print(f"2 workers / 1 worker      {rates[2] / rates[1]:8.2f}x")
    per = max(costs.values()) / enc_cpu
    print(f"CPU per message           {per:8.1f} encryptions ({enc_cpu * 1e6:.0f} us CPU each): with a core "
          f"to itself a worker would reach {1 / per:.0%} of the raw rate")
    print(f"load average (1 min)      {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared)")


if __name__ == "__main__":
    main()
