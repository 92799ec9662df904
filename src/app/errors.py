"""Every error is JSON with its status; a crash never shows a stack trace to the client."""

from werkzeug.exceptions import HTTPException, InternalServerError


def register(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        return {"error": error.name, "status": error.code}, error.code

    @app.errorhandler(Exception)
    def unhandled(error):
        app.logger.exception("unhandled error")
        return http_error(InternalServerError())
