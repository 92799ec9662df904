from app import create_app


def test_config_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("NAME", "Env")
    assert create_app().config["GREETING_NAME"] == "Env"
    assert create_app({"GREETING_NAME": "Test"}).config["GREETING_NAME"] == "Test"


def test_not_testing_by_default():
    assert not create_app().testing


def test_blueprints_are_registered(app):
    assert {"greeting", "health"} <= set(app.blueprints)


def test_request_size_is_limited(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_wsgi_module_creates_the_app():
    from app.wsgi import app

    assert app.name == "app"
