from app import create_app


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_version_outside_an_image(client, monkeypatch):
    assert client.get("/version").json == {
        "version": "dev",
        "revision": "unknown",
        "created": "unknown",
    }


def test_version_from_the_build(monkeypatch):
    monkeypatch.setenv("APP_VERSION", "1.2.3")
    monkeypatch.setenv("APP_REVISION", "abc1234")
    monkeypatch.setenv("APP_CREATED", "2026-01-02T03:04:05Z")
    assert create_app().test_client().get("/version").json == {
        "version": "1.2.3",
        "revision": "abc1234",
        "created": "2026-01-02T03:04:05Z",
    }
