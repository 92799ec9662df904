"""The module gunicorn imports: the one place the app is created at import time."""

from server.app import create

app = create()
