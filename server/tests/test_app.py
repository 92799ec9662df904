import sys

import pytest
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
    ("xplain", "APP='xplain': xplain has no create_app or make_app or app or application"),
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
