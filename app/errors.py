"""Every error is JSON with its status; a crash never shows a stack trace to the client."""

from flask import abort, request
from werkzeug.exceptions import HTTPException, InternalServerError


def register(app):
    @app.before_request
    def refuse_large_bodies():
        # Werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body: refuse it up front,
        # on every route, before a worker spends time on it.
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            abort(413)

    @app.errorhandler(HTTPException)
    def http_error(error):
        return {"error": error.name, "status": error.code}, error.code

    @app.errorhandler(Exception)
    def unhandled(error):
        app.logger.exception("unhandled error")
        return http_error(InternalServerError())
