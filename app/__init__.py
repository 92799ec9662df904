"""The sample web app: an application factory and its blueprints."""

from flask import Flask


def create_app(config=None):
    """Build the app from the environment; ``config`` overrides for tests and embedding."""
    # Imported here, as in Flask's tutorial: gunicorn's master imports app.config to validate the
    # environment, and what it imports is inherited by every worker, so `--reload` would keep
    # serving the old views.
    from app import errors, greeting, health
    from app.config import Settings

    app = Flask(__name__)
    app.config.from_mapping(Settings.from_env().flask_config())
    if config:
        app.config.from_mapping(config)
    app.register_blueprint(greeting.bp)
    app.register_blueprint(health.bp)
    errors.register(app)
    return app
