"""The sample app's tests: make adopt removes them with the sample (src/app/)."""

import socket


def test_html_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Hello World!" in response.text
    assert socket.gethostname() in response.text


def test_json_when_asked(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.json == {"message": "Hello World!", "hostname": socket.gethostname()}


def test_html_wins_when_the_browser_prefers_it(client):
    response = client.get("/", headers={"Accept": "text/html,application/json;q=0.9"})
    assert response.mimetype == "text/html"


def test_name_from_the_environment(monkeypatch):
    monkeypatch.setenv("NAME", "Docker")
    from app import create_app

    assert "Hello Docker!" in create_app().test_client().get("/").text


def test_name_is_escaped(app):
    app.config["GREETING_NAME"] = "<script>"
    assert "&lt;script&gt;" in app.test_client().get("/").text
