"""gunicorn settings, from the same validated environment the server reads."""

import socket
import sys
from typing import Any

from gunicorn.sock import TCPSocket, UnixSocket  # type: ignore[import-untyped]

from server.app import check
from server.settings import ConfigError, Settings, socket_path

try:
    settings = Settings.from_env()
    check(settings.app)
except ConfigError as error:
    # One line naming the variable, not a traceback; exit non-zero before any worker starts.
    print(f"config error: {error}", file=sys.stderr)
    sys.exit(2)

wsgi_app = "server.wsgi:app"
bind = [f"0.0.0.0:{settings.port}", f"unix:{socket_path(settings.port)}"]
# The app is loaded before anything listens: a release that cannot load never takes a request.
# (--reload needs each worker to load it.)
preload_app = "--reload" not in sys.argv
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


def on_starting(server: Any) -> None:  # gunicorn's Arbiter
    """The listeners of `bind`. Only where the stack asks (SHARE_PORT=1: the tasks of one service
    on a host's network, deploy/stack.yaml) is the port shared (SO_REUSEPORT, on the master's
    listener, where gunicorn's reuse_port would bind it in each worker instead): they all listen
    on it, the kernel spreads connections over them, and a stopping one hands its queue on
    (net.ipv4.tcp_migrate_req). Anywhere else a taken port stops the server, so another app or a
    stale server never silently takes half its requests."""
    shared = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if settings.share_port:
        shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        shared.bind(("0.0.0.0", settings.port))
    except OSError as error:
        shared.close()
        print(f"error: cannot listen on port {settings.port}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
    server.LISTENERS = [
        TCPSocket(("0.0.0.0", settings.port), server.cfg, server.log, fd=shared.detach()),
        UnixSocket(socket_path(settings.port), server.cfg, server.log),
    ]
