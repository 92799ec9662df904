"""The sample app's tests: make adopt removes them with the sample (src/app/)."""

from app import create_app


def test_config_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("NAME", "Env")
    assert create_app().config["GREETING_NAME"] == "Env"
    assert create_app({"GREETING_NAME": "Test"}).config["GREETING_NAME"] == "Test"


def test_not_testing_by_default():
    assert not create_app().testing


def test_blueprints_are_registered(app):
    assert "greeting" in app.blueprints
