"""The task queue (Huey): the periodic jobs and the fan-out of due reminders in chunks.

Storage is SQLite in instance/queue.sqlite3 by default (nothing to run beside the app) and Redis when
COMPANION_QUEUE_URL=redis://host:6379/0 is set, so that any number of workers on any number of
machines share one queue. Each task opens its own app context; business rules stay in services/.

- every JOB of commands/serve.py (reminders each minute, housekeeping each hour) is a periodic task;
- the reminders job plans, then enqueues one `send_chunk` per CHUNK due reminders: each task claims
  its own chunk (services/delivery.py), so workers never send the same reminder and any of them may
  take any chunk;
- `send_mail` sends one e-mail queued by a request (services/mail.py), retried a few times;
- `build_export` builds one "download everything" archive (services/export_archive.py);
- a task that fails (database down, a crash) is retried by the queue; a message the push service
  refused for now is retried by the row's own schedule (next_attempt_at), read by the next round.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

from .services import delivery

CHUNK_RETRIES, CHUNK_RETRY_DELAY = 5, 30  # seconds: a database restart, a worker killed mid-chunk
# An SMTP server down for a while: the queue tries again soon; after that, housekeeping's hourly
# `mail.send_due` keeps trying with the row's own growing delay (services/mail.py).
MAIL_RETRIES, MAIL_RETRY_DELAY = 3, 60


def make_queue(url: str, instance_dir: str, name: str = "companion") -> Huey:
    """Redis for `redis://`, `rediss://` or `unix://` URLs; otherwise a SQLite file in instance/."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, utc=True)
    Path(instance_dir).mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(Path(instance_dir) / "queue.sqlite3"), utc=True)


def _every(seconds: int) -> crontab:
    if seconds >= 3600:
        return crontab(minute="0", hour=f"*/{seconds // 3600}")
    return crontab(minute=f"*/{max(seconds // 60, 1)}")


@dataclass
class Tasks:
    """The tasks of one app on one queue (tests build several: one per queue backend)."""

    queue: Huey
    send_chunk: Callable[..., object]  # the Huey task (calling it enqueues): claim one chunk and send it
    send_mail: Callable[..., object]  # the Huey task: send one queued e-mail (services/mail.py)
    build_export: Callable[..., object]  # the Huey task: build one "download everything" archive

    def fan_out(self, due: int, now=None) -> int:
        """Enqueue enough chunk tasks for `due` reminders, less those already waiting. `now`: the
        round's time, passed on (a simulated clock in tests; None: each task's own clock)."""
        wanted = min(math.ceil(due / delivery.CHUNK), delivery.MAX_CHUNKS_PER_ROUND)
        missing = max(wanted - self.queue.pending_count(), 0)
        for _ in range(missing):
            self.send_chunk(now)
        return missing


def register(queue: Huey, app, make_sender=None, *, keep: bool = True) -> Tasks:
    """Define the tasks on `queue` for `app` and keep them on the app (the jobs enqueue through it).
    `make_sender(app)`: how a worker builds its Sender (tests shorten its timeout). `keep=False`: only
    to enqueue from the web process (see `for_app`), which then still sends its e-mails itself."""
    from .commands.reminders import make_sender as default_sender
    from .wiring import JOBS

    make_sender = make_sender or default_sender
    senders: dict = {}  # one Sender per worker process: its open connections and VAPID tokens are reused

    @queue.task(retries=CHUNK_RETRIES, retry_delay=CHUNK_RETRY_DELAY, name="send_chunk")
    def send_chunk(now=None):
        with app.app_context():
            from .extensions import db
            from .services import reminders

            if "sender" not in senders:
                senders["sender"] = make_sender(app)
            if senders["sender"] is None:
                return None
            try:
                return reminders.send_due(senders["sender"], now, chunks=1)
            finally:
                db.session.remove()

    @queue.task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, name="send_mail")
    def send_mail(mail_id: int):
        with app.app_context():
            from .extensions import db
            from .services import mail

            try:
                if not mail.deliver(mail_id) and mail.waiting(mail_id):
                    raise RuntimeError(f"mail {mail_id} not sent yet")  # the queue retries it
            finally:
                db.session.remove()

    # Not retried: a build that fails says so on the page (the person asks again); one whose worker died
    # is marked failed by the hourly cleanup (services/exports.py `sweep`).
    @queue.task(name="build_export")
    def build_export(export_id: int):
        with app.app_context():
            from .extensions import db
            from .services import export_archive

            try:
                export_archive.build(export_id)
            finally:
                db.session.remove()

    for job in JOBS:
        queue.periodic_task(_every(job.every_seconds), name=f"job_{job.name}")(
            lambda run=job.run: run(app))
    tasks = Tasks(queue, send_chunk, send_mail, build_export)
    if keep:
        app.extensions["companion_tasks"] = tasks
    return tasks


def for_app(app) -> Tasks:
    """The queue to hand work to: the worker's own tasks, or (in a web process, which runs no worker)
    a handle on the same queue storage that only enqueues."""
    app = getattr(app, "_get_current_object", lambda: app)()  # the tasks keep the app, not a proxy
    tasks = app.extensions.get("companion_tasks") or app.extensions.get("companion_queue")
    if tasks is None:
        tasks = register(make_queue(app.config["QUEUE_URL"], app.config["INSTANCE_DIR"]), app, keep=False)
        app.extensions["companion_queue"] = tasks
    return tasks


def drain(queue: Huey, max_tasks: int = 10_000) -> int:
    """Run what is waiting in the queue here, until it is empty (tests, `send-due --inline` users). The
    count is asked first: on Redis, asking for a task from an empty queue waits a second for one."""
    done = 0
    while done < max_tasks and queue.pending_count():
        task = queue.dequeue()
        if task is None:
            return done
        queue.execute(task)
        done += 1
    return done
