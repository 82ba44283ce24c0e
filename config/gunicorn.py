"""gunicorn's settings for `carebond serve --production` (docs/deployment.md, Application server).

Every value comes from a CAREBOND_WEB_* variable; the command's options (--workers, --threads,
--host, --port) override them. Read by gunicorn as ``--config python:config.gunicorn``.
"""

from __future__ import annotations

import os

from config.env import env_int, env_str

WORKERS_CAP = 8  # each worker holds the whole application in memory (a few hundred MB)


def default_workers() -> int:
    """2 x cores + 1, the usual rule for processes that wait on the database, capped."""
    return min(2 * (os.cpu_count() or 1) + 1, WORKERS_CAP)


bind = f"{env_str('CAREBOND_WEB_HOST', '127.0.0.1')}:{env_int('CAREBOND_WEB_PORT', 8000)}"
wsgi_app = "config.wsgi:application"
workers = env_int("CAREBOND_WEB_WORKERS", default_workers())
# Threads, because each open front-desk board holds one request open (server-sent events) for
# up to CAREBOND_SCHEDULING_BOARD_STREAM_SECONDS: a worker serves threads - boards at once.
worker_class = "gthread"
threads = env_int("CAREBOND_WEB_THREADS", 8)
# With threads, a worker that stops answering its master for this long is restarted (a stream
# open for minutes is not a stopped worker: its other threads keep it alive).
timeout = env_int("CAREBOND_WEB_TIMEOUT", 30)
# On SIGTERM or a reload, requests in hand get this long to finish; open streams are closed
# then, and the boards' browsers reconnect to another process.
graceful_timeout = env_int("CAREBOND_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# A worker is replaced after this many requests (plus up to the jitter, so that they do not all
# restart at once): memory a long-lived process gathers is given back.
max_requests = env_int("CAREBOND_WEB_MAX_REQUESTS", 1000)
max_requests_jitter = env_int("CAREBOND_WEB_MAX_REQUESTS_JITTER", 100)
# X-Forwarded-Proto and X-Forwarded-For are believed only from these addresses (the proxy's).
forwarded_allow_ips = env_str("CAREBOND_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log on standard output: the path without its query string (a search or a link token
# there can be PHI), no referrer (it holds the previous page's query), and the request id that
# the application's own log lines and audit rows carry.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%({x-request-id}o)s"'
# No control socket: nothing here uses it, and two servers on one host would share its path.
control_socket_disable = True
errorlog = "-"
loglevel = env_str("CAREBOND_WEB_LOG_LEVEL", "info")
