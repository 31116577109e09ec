"""`flask serve`: the web server plus one queue worker, so a newcomer sees reminders arrive with one
command (`make run`). `flask worker`: a queue worker alone (production runs gunicorn for the web and
N of these; see README "Task queue").

companion/wiring.py declares the periodic jobs (JOBS); companion/tasks.py makes each a periodic task.
"""

import logging
import subprocess
import sys

import click
from flask import current_app
from werkzeug.serving import run_simple

from ..wiring import JOBS

log = logging.getLogger("companion.jobs")


@click.command("worker")
@click.option("--workers", "-w", default=2, type=int, help="Threads taking tasks in this process.")
@click.option("--periodic/--no-periodic", default=True,
              help="Also start the periodic jobs (one worker per deployment is enough).")
def worker(workers, periodic):
    """Take tasks from the queue (SQLite in instance/, or COMPANION_QUEUE_URL=redis://...)."""
    from ..tasks import make_queue, register

    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    tasks = register(make_queue(app.config["QUEUE_URL"], app.config["INSTANCE_DIR"]), app)
    jobs = ", ".join(j.name for j in JOBS) if periodic else "none"
    click.echo(f"worker: {workers} thread(s), jobs: {jobs}")
    tasks.queue.create_consumer(workers=workers, worker_type="thread", periodic=periodic).run()


@click.command("serve")
@click.option("--host", default="localhost")
@click.option("--port", default=5000, type=int)
@click.option("--workers", "-w", default=2, type=int, help="Threads of the queue worker started beside.")
def serve(host, port, workers):
    """Serve the app and run one queue worker beside it (a child process, stopped with the server)."""
    app = current_app._get_current_object()
    command = [sys.executable, "-m", "flask", "--app", "companion", "worker", "-w", str(workers)]
    child = subprocess.Popen(command)
    click.echo(f"Companion on http://{host}:{port}  (queue worker pid {child.pid})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def register(app):
    app.cli.add_command(serve)
    app.cli.add_command(worker)
