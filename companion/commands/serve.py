"""`flask serve`: the web server plus the background jobs a newcomer needs to see the app work
(e.g. sending due reminders every minute). Production runs gunicorn and cron or a job queue instead."""

import logging
import threading
import time

import click
from werkzeug.serving import run_simple

from ..wiring import JOBS, Job

log = logging.getLogger("companion.jobs")


def _loop(app, job: Job, stop: threading.Event) -> None:
    while not stop.wait(job.every_seconds):
        started = time.monotonic()
        try:
            job.run(app)
        except Exception:  # a failed run is logged; the next one tries again
            log.exception("job %s failed", job.name)
        log.debug("job %s took %.2fs", job.name, time.monotonic() - started)


@click.command("serve")
@click.option("--host", default="localhost")
@click.option("--port", default=5000, type=int)
def serve(host, port):
    """Serve the app and run the background jobs beside it."""
    from flask import current_app

    app = current_app._get_current_object()
    stop = threading.Event()
    for job in JOBS:
        threading.Thread(target=_loop, args=(app, job, stop), daemon=True, name=job.name).start()
    click.echo(f"Companion on http://{host}:{port}  (jobs: {', '.join(j.name for j in JOBS) or 'none'})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stop.set()


def register(app):
    app.cli.add_command(serve)
