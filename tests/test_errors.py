"""The sample app's tests: make adopt removes them with the sample (src/app/)."""

import pytest


def test_not_found(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json == {"error": "Not Found", "status": 404}


def test_method_not_allowed(client):
    response = client.post("/")
    assert response.status_code == 405
    assert response.json["status"] == 405


@pytest.fixture
def crashing_app(app):
    @app.get("/crash")
    def crash():
        raise RuntimeError("secret detail")

    return app


def test_crash_is_a_json_500_without_a_trace(crashing_app, caplog):
    response = crashing_app.test_client().get("/crash")
    assert response.status_code == 500
    assert response.json == {"error": "Internal Server Error", "status": 500}
    assert "secret detail" not in response.text
    assert "secret detail" in caplog.text  # logged for the operator, not shown to the client
