"""The sample web app: an application factory and its blueprints. Yours replaces it (make adopt)."""

import os

from flask import Flask

from app import errors, greeting


def create_app(config=None):
    """Build the app from the environment; ``config`` overrides for tests and embedding."""
    app = Flask(__name__)
    app.config["GREETING_NAME"] = os.environ.get("NAME") or "World"
    if config:
        app.config.from_mapping(config)
    app.register_blueprint(greeting.bp)
    errors.register(app)
    return app
