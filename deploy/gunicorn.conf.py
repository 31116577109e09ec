"""gunicorn settings of the production recipe (deploy/serve-prod, `make serve-prod`).

gunicorn: maintained, pure Python (a pip dependency, nothing to build), pre-fork workers that use every
core, graceful restarts. Threads inside each worker (gthread): a request mostly waits on PostgreSQL,
so a few threads keep a core busy; the session and account are read per request from the database,
so any worker may answer any request. Each worker reads and compresses the static files once at start
(companion/assets.py)."""

import multiprocessing
import os

bind = os.environ.get("COMPANION_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is gunicorn's own variable too; two workers per core by default.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("COMPANION_WEB_THREADS", "4"))
keepalive = 5
timeout = 30
graceful_timeout = 20
# A worker is replaced now and then, so a slow leak never grows for days.
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("COMPANION_ACCESS_LOG") or None
errorlog = "-"
# gunicorn's runtime control socket (a fixed path in the home folder) is not used: signals are enough,
# and two instances on one machine (a test beside a running site) would fight over the path.
control_socket_disable = True
