"""The image's health check: the server answers its health path (the slim image has no curl)."""

import os
import sys
import urllib.request

from server.settings import HEALTH_PATH


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT') or 80}{HEALTH_PATH}"
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
