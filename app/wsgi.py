"""The module the server imports: the one place an app is created at import time."""

from app import create_app

app = create_app()
