import sys
import textwrap

import pytest
from flask.cli import locate_app
from werkzeug.test import Client

from server.app import Server, check, load
from server.settings import ConfigError, Settings


def serve(target, **settings):
    return Client(Server(load(target), Settings(target, **settings)))


@pytest.mark.parametrize(("target", "body"), [
    ("xshop", b"xshop open"),                  # a package: its create_app factory
    ("xshop:create_app", b"xshop open"),       # a factory named
    ("xplain.serve", b"xplain"),               # a module: its `application`
    ("xplain.serve:application", b"xplain"),   # a WSGI callable named
    ("xplain.serve:build", b"built"),         # a factory with defaults only
])
def test_finds_the_app_as_flask_does(importable, target, body):
    assert serve(target).get("/").data == body


FACTORY = """
    from flask import Flask

    def create_app(mark="fresh"):
        app = Flask(__name__)
        app.config["MARK"] = mark
        return app
    """


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Writes `xfind` (and its neighbours) from `text` and makes them importable."""
    def write(text, **others):
        for name, source in {"xfind": text, **others}.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    for name in [m for m in sys.modules if m.startswith("xfind")]:
        del sys.modules[name]


@pytest.mark.parametrize(("text", "name", "mark"), [
    # The app a module built and configured, not a fresh one from the factory beside it.
    ("""
        from xfind_factory import create_app
        app = create_app("built")
        app.config["X"] = 1
        """, None, "built"),
    ("""
        from flask import Flask
        application = Flask(__name__)
        application.config["MARK"] = "application"
        """, None, "application"),
    # One Flask app under another name, before a factory.
    ("""
        from flask import Flask
        from xfind_factory import create_app
        web = Flask(__name__)
        web.config["MARK"] = "web"
        """, None, "web"),
    ("from xfind_factory import create_app", None, "fresh"),
    ("""
        from xfind_factory import create_app as make_app
        create_app = "not a function"
        """, None, "fresh"),
    ("from xfind_factory import create_app", "create_app('x')", "x"),
    ("from xfind_factory import create_app", " create_app(mark=[1, 'y']) ", [1, "y"]),
    ("from xfind_factory import create_app", "create_app", "fresh"),
    # A name, among several Flask apps.
    ("""
        from xfind_factory import create_app
        app, admin = create_app("app"), create_app("admin")
        """, "app", "app"),
])
def test_finds_the_app_flask_finds(modules, text, name, mark):
    modules(text, xfind_factory=FACTORY)
    ours = load(f"xfind:{name}" if name else "xfind")
    flasks = locate_app("xfind", name)
    assert ours.config["MARK"] == flasks.config["MARK"] == mark
    if any(value is flasks for value in vars(sys.modules["xfind"]).values()):
        assert ours is flasks  # not an equal one: the very object, as configured


def test_an_app_built_from_its_factory_is_served_as_configured(modules):
    modules("""
        from xfind_factory import create_app
        app = create_app()
        app.config["MARK"] = "configured"

        @app.get("/")
        def index():
            return app.config["MARK"]
        """, xfind_factory=FACTORY)
    assert serve("xfind").get("/").data == b"configured"


def test_a_wsgi_app_the_module_built_is_served_before_its_factory(modules):
    modules("""
        from xfind_factory import create_app

        def application(environ, start_response):
            start_response("200 OK", [])
            return [b"wrapped " + create_app().config["MARK"].encode()]
        """, xfind_factory=FACTORY)
    assert serve("xfind").get("/").data == b"wrapped fresh"


@pytest.mark.parametrize(("text", "name", "message"), [
    ("""
        from xfind_factory import create_app
        web, admin = create_app(), create_app()
        """, None,
     "APP='xfind': xfind has 2 Flask apps (web, admin); name one, as APP='xfind:web'"),
    ("def create_app(config): pass", None,
     "APP='xfind': create_app needs arguments; give them, as APP='xfind:create_app(...)'"),
    ("def create_app(config): pass", "create_app(1, 2)",
     "APP='xfind:create_app(1, 2)': create_app cannot be called as create_app(1, 2)"),
    ("def create_app(config): pass", "create_app(config=os.environ)",
     "APP='xfind:create_app(config=os.environ)': the arguments of create_app are not Python "
     "literals (strings, numbers, lists, dicts, True, None...)"),
    ("def create_app(config): pass", "create_app(**{'config': 1})",
     "APP=\"xfind:create_app(**{'config': 1})\": the arguments of create_app are not Python "
     "literals (strings, numbers, lists, dicts, True, None...)"),
    ("def create_app(config): pass", "create_app({[1]: 2})",
     "APP='xfind:create_app({[1]: 2})': the arguments of create_app are not Python "
     "literals (strings, numbers, lists, dicts, True, None...)"),
    ("import os", "os.getcwd()",
     "APP='xfind:os.getcwd()': 'os.getcwd()' is not a name or a call of one"),
    ("app = 1", "app(", "APP='xfind:app(': 'app(' is not a name or a call of one"),
    ("app = 1", "app()", "APP='xfind:app()': app is not a function to call"),
    ("def create_app(): pass", None, "APP='xfind': create_app() is not a WSGI app"),
])
def test_a_target_flask_would_refuse_is_one_line(modules, text, name, message):
    modules(text, xfind_factory=FACTORY)
    with pytest.raises(ConfigError) as error:
        load(f"xfind:{name}" if name else "xfind")
    assert str(error.value) == message


def test_a_type_error_inside_the_factory_is_the_apps(modules):
    modules("def create_app(): return len(1)")
    with pytest.raises(TypeError, match="has no len"):
        load("xfind")


def test_health_and_version_are_the_servers_whatever_the_app(importable):
    client = serve("xshop", version="1.2.3", revision="abc1234", created="2026-01-02T03:04:05Z")
    health = client.get("/healthz")
    assert (health.status_code, health.json) == (200, {"status": "ok"})  # not the app's own 500
    assert client.get("/version").json == {
        "version": "1.2.3", "revision": "abc1234", "created": "2026-01-02T03:04:05Z"}
    assert serve("xplain.serve").head("/healthz").status_code == 200
    # Other methods are the app's: its own answer, never the server's.
    assert client.post("/healthz").status_code == 405


def test_bodies_over_the_limit_are_refused_before_the_app(importable):
    client = serve("xshop", max_content_length=10)
    assert client.post("/echo", data=b"x" * 10).data == b"x" * 10
    refused = client.post("/echo", data=b"x" * 11)
    assert (refused.status_code, refused.json) == (
        413, {"error": "Request Entity Too Large", "status": 413})


@pytest.mark.parametrize(("target", "message"), [
    ("nosuch", "APP='nosuch': no module 'nosuch' in the image"),
    ("xshop.nosuch:app", "APP='xshop.nosuch:app': no module 'xshop.nosuch' in the image"),
    ("xplain.serve:missing", "APP='xplain.serve:missing': xplain.serve has no missing"),
    ("xplain",
     "APP='xplain': xplain has no app, application, Flask instance, create_app or make_app"),
    ("xplain.serve:value", "APP='xplain.serve:value': value is not a WSGI app"),
])
def test_a_wrong_target_is_one_line(importable, target, message):
    with pytest.raises(ConfigError) as error:
        load(target)
    assert str(error.value) == message


def test_check_finds_the_package_without_importing_it(importable):
    import sys

    check("xshop:create_app")
    assert "xshop" not in sys.modules  # the server's master never imports the app
    with pytest.raises(ConfigError, match=r"^APP='nosuch.wsgi:app': no package or module 'nosuch'"):
        check("nosuch.wsgi:app")
    with pytest.raises(ConfigError, match="no package or module"):
        check("not a name")


def test_an_app_whose_own_import_fails_shows_its_error(importable):
    with pytest.raises(ModuleNotFoundError, match="'nosuch'"):
        load("xplain.broken")


def test_the_wsgi_module_serves_app_from_the_environment(importable, monkeypatch):
    import importlib

    monkeypatch.setenv("APP", "xshop")
    monkeypatch.setenv("APP_VERSION", "2.0.0")
    wsgi = importlib.import_module("server.wsgi")
    try:
        client = Client(wsgi.app)
        assert client.get("/").data == b"xshop open"
        assert client.get("/version").json["version"] == "2.0.0"
    finally:
        sys.modules.pop("server.wsgi")
