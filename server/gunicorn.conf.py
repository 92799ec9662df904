"""gunicorn settings, from the same validated environment the server reads."""

import sys

from server.app import check
from server.settings import ConfigError, Settings

try:
    settings = Settings.from_env()
    check(settings.app)
except ConfigError as error:
    # One line naming the variable, not a traceback; exit non-zero before any worker starts.
    print(f"config error: {error}", file=sys.stderr)
    sys.exit(2)

wsgi_app = "server.wsgi:app"
bind = f"0.0.0.0:{settings.port}"
# Never derived from the host's CPU count: a container sees the host's cores, not its limit.
workers = settings.web_concurrency
# /tmp may be a small tmpfs or read-only; heartbeat files belong in memory.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
errorlog = "-"
# Shorter than `docker stop`'s 10 s, so in-flight requests drain and the master exits 0.
graceful_timeout = 8
timeout = 30
# Docker, not gunicornc, manages the process, and the image has no writable home for the socket.
control_socket_disable = True
