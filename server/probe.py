"""The image's health check: this container's server answers its health path, asked on its own
unix socket (the slim image has no curl)."""

import http.client
import os
import socket
import sys

from server.settings import HEALTH_PATH, Settings, socket_path


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=2)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def main() -> int:
    path = socket_path(int(os.environ.get("PORT") or Settings.port))
    connection = UnixConnection(path)
    try:
        connection.request("GET", HEALTH_PATH)
        status = connection.getresponse().status
    except OSError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"{path}: {HEALTH_PATH} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
