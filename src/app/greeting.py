"""The classic greeting: ``Hello {NAME}!`` and the host that answered."""

import socket

from flask import Blueprint, current_app, render_template_string, request

bp = Blueprint("greeting", __name__)

PAGE = "<h3>Hello {{ name }}!</h3><b>Hostname:</b> {{ hostname }}<br/>\n"


@bp.get("/")
def index():
    name = current_app.config["GREETING_NAME"]
    hostname = socket.gethostname()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return {"message": f"Hello {name}!", "hostname": hostname}
    return render_template_string(PAGE, name=name, hostname=hostname)
