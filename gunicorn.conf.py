"""How Tally is served: `make run`, the Docker image and bench/ingest.py all start gunicorn from
this directory, which loads this file, so they run with the same settings.

gthread workers: a request spends most of its time waiting for PostgreSQL (its statement and the
commit's WAL flush), so each process serves several at once on threads, and concurrent small
ingest requests of one process share an INSERT (analytics/group_commit.py): more threads per
process means more requests per statement. Two processes keep both cores of a small machine
busy with Python. Every setting can be changed from the environment.
"""

import os

wsgi_app = "core.wsgi"
bind = os.environ.get("TALLY_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("TALLY_WORKERS", "2"))
threads = int(os.environ.get("TALLY_THREADS", "16"))
keepalive = int(os.environ.get("TALLY_KEEPALIVE_SECONDS", "10"))
backlog = 2048
accesslog = os.environ.get("TALLY_ACCESS_LOG", "-") or None
loglevel = os.environ.get("TALLY_LOG_LEVEL", "info")
