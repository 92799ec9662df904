"""The adopter's app, found as `flask --app` finds it, behind the template's own endpoints."""

import importlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

from server.settings import HEALTH_PATH, VERSION_PATH, ConfigError, Settings

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Flask's own discovery order: a factory first, then an app object.
FACTORIES = ("create_app", "make_app")
OBJECTS = ("app", "application")


def package(target: str) -> str:
    """The top-level package or module of `package`, `module` or `module:name`."""
    return target.partition(":")[0].split(".")[0]


def check(target: str) -> None:
    """Fails when the target's package is not there, without importing it (the server's master
    must not import the app: its workers would inherit it, and --reload would serve old code)."""
    name = package(target)
    if not name.isidentifier() or importlib.util.find_spec(name) is None:
        raise ConfigError(f"APP={target!r}: no package or module {name!r} to serve")


def load(target: str) -> Wsgi:
    """`package`, `module` or `module:name`: a factory (a callable needing no argument) is called,
    anything else is served as it is."""
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ConfigError(f"APP={target!r}: no module {error.name!r} in the image") from None
        raise
    names = [name] if name else [*FACTORIES, *OBJECTS]
    for candidate in names:
        found = getattr(module, candidate, None)
        if found is None:
            continue
        if candidate in FACTORIES or (name and _is_factory(found)):
            found = found()
        if not callable(found):
            raise ConfigError(f"APP={target!r}: {candidate} is not a WSGI app")
        app: Wsgi = found
        return app
    wanted = name or " or ".join(names)
    raise ConfigError(f"APP={target!r}: {module_name} has no {wanted}")


def _is_factory(found: object) -> bool:
    if not inspect.isfunction(found):
        return False  # a Flask app, or any WSGI object
    parameters = inspect.signature(found).parameters.values()
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in parameters)


class Server:
    """Answers the health and version paths itself and refuses oversized bodies before the app
    reads them; everything else is the app's."""

    def __init__(self, app: Wsgi, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self.version = json.dumps(settings.build_info()).encode()

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in (HEALTH_PATH, VERSION_PATH) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            # Liveness only: no database or network call, so a slow dependency never restarts it.
            body = b'{"status":"ok"}' if path == HEALTH_PATH else self.version
            return self.respond(start, "200 OK", body)
        length = environ.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > self.settings.max_content_length:
            return self.respond(start, "413 Request Entity Too Large",
                                b'{"error":"Request Entity Too Large","status":413}')
        return self.app(environ, start)

    @staticmethod
    def respond(start: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
        start(status, [("Content-Type", "application/json"),
                       ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body]


def create() -> Server:
    settings = Settings.from_env()
    return Server(load(settings.app), settings)
