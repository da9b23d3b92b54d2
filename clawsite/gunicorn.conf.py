"""gunicorn's settings for clawsite: ``gunicorn -c clawsite/gunicorn.conf.py clawsite.wsgi``.

Threads, not one request per process: a sync worker reading a request body is held by a
client that sends ``Content-Length: 200`` and then 10 bytes, until the worker is killed; four
such connections stall four sync workers, /healthz and the admin with them. A gthread worker
waits for the first bytes of a request outside its threads (in its poller) and gives each
request a thread, so slow clients hold one thread each while the others keep answering. That
bounds the harm; it does not remove it (workers × threads slow connections still fill every
thread), so production runs behind a proxy that buffers whole requests before passing them
on and gives up on slow ones (README, "Deployment"). Every value can be set from the
environment.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that runs longer than this gets its worker restarted (the database gives up
# sooner: statement timeout 15 s, lock timeout 5 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Requests are small: a line, a few headers, a body of at most 256 KiB (checked by the views).
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
