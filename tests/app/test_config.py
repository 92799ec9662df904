import pytest

from app.config import ConfigError, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert (settings.name, settings.port, settings.web_concurrency) == ("World", 80, 2)
    assert (settings.version, settings.revision, settings.created) == ("dev", "unknown", "unknown")


def test_values_from_the_environment():
    settings = Settings.from_env(
        {"NAME": "Docker", "PORT": "8080", "WEB_CONCURRENCY": "4", "MAX_CONTENT_LENGTH": "2048"}
    )
    assert (settings.name, settings.port, settings.web_concurrency) == ("Docker", 8080, 4)
    assert settings.max_content_length == 2048


def test_empty_values_mean_the_default():
    assert Settings.from_env({"PORT": " ", "NAME": ""}) == Settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "abc", "PORT='abc' is not an integer; expected 1..65535"),
        ("PORT", "0", "PORT=0 is out of range; expected 1..65535"),
        ("PORT", "65536", "PORT=65536 is out of range; expected 1..65535"),
        ("PORT", "8.5", "PORT='8.5' is not an integer; expected 1..65535"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY=0 is out of range; expected 1..64"),
        ("WEB_CONCURRENCY", "-1", "WEB_CONCURRENCY=-1 is out of range; expected 1..64"),
        ("WEB_CONCURRENCY", "many", "WEB_CONCURRENCY='many' is not an integer; expected 1..64"),
        ("MAX_CONTENT_LENGTH", "0", "MAX_CONTENT_LENGTH=0 is out of range; expected 1..1073741824"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({name: value})
    assert str(error.value) == message


def test_bad_value_stops_the_factory(monkeypatch):
    from app import create_app

    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(ConfigError, match="PORT"):
        create_app()
