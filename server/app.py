"""The adopter's app, found as `flask --app` finds it, behind the template's own endpoints."""

import ast
import importlib
import importlib.util
import inspect
import io
import json
import re
from collections.abc import Callable, Iterable
from types import FunctionType, ModuleType
from typing import Any, TypeGuard, cast

from server.settings import HEALTH_PATH, VERSION_PATH, ConfigError, Settings

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The names flask.cli.find_best_app tries, so the server, `flask run` and a release's `flask db
# upgrade` all take the same app from one module.
OBJECTS = ("app", "application")
FACTORIES = ("create_app", "make_app")


# Every form APP takes, written without spaces (it is a build argument): `package`, `module`,
# `module:name`, `module:factory()` or `module:factory('literal', ...)`.
TARGET = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*(?:\(\S*\))?)?")


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
    """`package` or `module`: its `app` or `application` Flask app, else its one Flask app, else
    the WSGI app `app` or `application`, else what `create_app()` or `make_app()` returns.
    `module:name`: that object, called first if it is a function needing no argument;
    `module:factory(args)`: what the function returns, its arguments Python literals."""
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ConfigError(f"APP={target!r}: no module {error.name!r} in the image") from None
        raise
    found, what = _named(target, module, name) if name else _best(target, module)
    if not callable(found):
        raise ConfigError(f"APP={target!r}: {what} is not a WSGI app")
    return cast(Wsgi, found)


def _best(target: str, module: ModuleType) -> tuple[object, str]:
    # Imported here, not above: gunicorn's master imports this module only to `check` APP.
    from flask import Flask

    for name in OBJECTS:
        if isinstance(found := getattr(module, name, None), Flask):
            return found, name
    apps = [name for name, value in vars(module).items() if isinstance(value, Flask)]
    if len(apps) > 1:
        raise ConfigError(f"APP={target!r}: {module.__name__} has {len(apps)} Flask apps "
                          f"({', '.join(apps)}); name one, as APP='{target}:{apps[0]}'")
    if apps:
        return getattr(module, apps[0]), apps[0]
    # Beyond Flask, which serves only its own apps: a WSGI app the module built (perhaps a Flask
    # app in middleware) is the one to serve, before a fresh one from a factory beside it.
    for name in OBJECTS:
        if callable(found := getattr(module, name, None)):
            return found, name
    for name in FACTORIES:
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            wrong = f"{name} needs arguments; give them, as APP='{target}:{name}(...)'"
            return _call(target, factory, wrong), f"{name}()"
    raise ConfigError(f"APP={target!r}: {module.__name__} has no {', '.join(OBJECTS)}, "
                      f"Flask instance, {' or '.join(FACTORIES)}")


def _named(target: str, module: ModuleType, text: str) -> tuple[object, str]:
    # Parsed as Flask parses it (flask.cli.find_app_by_string): a name, or a call of one.
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        expr = None
    if isinstance(expr, ast.Name):
        name, call = expr.id, None
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        name, call = expr.func.id, expr
    else:
        raise ConfigError(f"APP={target!r}: {text.strip()!r} is not a name or a call of one")
    try:
        found = getattr(module, name)
    except AttributeError:
        raise ConfigError(f"APP={target!r}: {module.__name__} has no {name}") from None
    if call is None:
        if not _is_factory(found):
            return found, name  # a Flask app, or any WSGI object
        return _call(target, found, f"{name} cannot be called without arguments"), f"{name}()"
    if not inspect.isfunction(found):
        raise ConfigError(f"APP={target!r}: {name} is not a function to call")
    try:
        if any(k.arg is None for k in call.keywords):
            raise ValueError  # **mapping
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (ValueError, TypeError):  # TypeError: a list as a dict's key, say
        raise ConfigError(f"APP={target!r}: the arguments of {name} are not Python literals "
                          "(strings, numbers, lists, dicts, True, None...)") from None
    what = ast.unparse(call)
    return _call(target, found, f"{name} cannot be called as {what}", *args, **kwargs), what


def _call(target: str, factory: FunctionType, wrong: str, *args: object,
          **kwargs: object) -> object:
    try:
        return factory(*args, **kwargs)
    except TypeError as error:
        # Only a call the arguments did not fit is APP's fault: a TypeError inside is the app's.
        if _ran(factory, error):
            raise
        raise ConfigError(f"APP={target!r}: {wrong}") from None


def _ran(function: FunctionType, error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None and trace.tb_frame.f_code is not function.__code__:
        trace = trace.tb_next
    return trace is not None


def _is_factory(found: object) -> TypeGuard[FunctionType]:
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
        limit = self.settings.max_content_length
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) > limit:
            return self.too_large(start)
        if not length and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # No length to check: read up to the limit and one byte more, then hand the app what
            # was read, with its length, as if it had come that way.
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return self.too_large(start)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start)

    def too_large(self, start: Callable[..., Any]) -> list[bytes]:
        return self.respond(start, "413 Request Entity Too Large",
                            b'{"error":"Request Entity Too Large","status":413}')

    @staticmethod
    def respond(start: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
        start(status, [("Content-Type", "application/json"),
                       ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body]


def create() -> Server:
    settings = Settings.from_env()
    return Server(load(settings.app), settings)
