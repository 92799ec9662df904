"""Liveness and build information, for probes and for people checking what is deployed."""

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    # Liveness only: no database or network calls, so a slow dependency never restarts the app.
    return {"status": "ok"}


@bp.get("/version")
def version():
    return current_app.config["BUILD_INFO"]
