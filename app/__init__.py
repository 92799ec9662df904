"""The sample web app: an application factory and its blueprints."""

from flask import Flask

from app import errors, greeting, health
from app.config import Settings


def create_app(config=None):
    """Build the app from the environment; ``config`` overrides for tests and embedding."""
    app = Flask(__name__)
    app.config.from_mapping(Settings.from_env().flask_config())
    if config:
        app.config.from_mapping(config)
    app.register_blueprint(greeting.bp)
    app.register_blueprint(health.bp)
    errors.register(app)
    return app
