"""gunicorn settings of the production recipe (deploy/serve-prod, `make serve-prod`).

gunicorn: maintained, pure Python (a pip dependency, nothing to build), pre-fork workers that use every
core, graceful restarts. Threads inside each worker (gthread): a request mostly waits on PostgreSQL,
so a few threads keep a core busy; the session and account are read per request from the database,
so any worker may answer any request. The static files are read and compressed once, in the master
(companion/assets.py), before the workers are forked."""

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
# The app is made once, in the master, before the workers are forked: a worker replaced (below) starts
# at once and shares the compressed static files, instead of spending about two seconds of CPU importing
# and compressing again while the others serve. Measured across such replacements (wrk, 2 cores, three
# rounds): a static file 6,200-7,100 -> 8,100-9,300 requests/s, the login page 390-670 -> 690-715.
# The master holds no database connection (create_app closes its start-up one): no two workers share one.
preload_app = True
# A worker is replaced now and then, so a slow leak never grows for days.
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("COMPANION_ACCESS_LOG") or None
errorlog = "-"
# gunicorn's runtime control socket (a fixed path in the home folder) is not used: signals are enough,
# and two instances on one machine (a test beside a running site) would fight over the path.
control_socket_disable = True
