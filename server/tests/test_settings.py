import pytest

from server.settings import ConfigError, Settings


def test_defaults():
    settings = Settings.from_env({"APP": "shop"})
    assert (settings.app, settings.port, settings.web_concurrency) == ("shop", 80, 2)
    assert settings.build_info() == {"version": "dev", "revision": "unknown", "created": "unknown"}


def test_values_from_the_environment():
    settings = Settings.from_env({"APP": "shop.wsgi:app", "PORT": "8080", "WEB_CONCURRENCY": "4",
                                  "MAX_CONTENT_LENGTH": "2048", "APP_VERSION": "1.2.3"})
    assert (settings.app, settings.port, settings.web_concurrency) == ("shop.wsgi:app", 8080, 4)
    assert (settings.max_content_length, settings.version) == (2048, "1.2.3")


def test_empty_values_mean_the_default():
    assert Settings.from_env({"APP": "shop", "PORT": " ", "APP_VERSION": ""}) == Settings("shop")


@pytest.mark.parametrize("env", [{}, {"APP": " "}])
def test_the_app_is_required(env):
    with pytest.raises(ConfigError, match=r"^APP is not set; expected a package, module or "):
        Settings.from_env(env)


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
        ("SHARE_PORT", "yes", "SHARE_PORT='yes' is not a switch; expected 1 or 0"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"APP": "shop", name: value})
    assert str(error.value) == message


@pytest.mark.parametrize(("value", "shared"), [("", False), ("0", False), ("false", False),
                                               ("1", True), ("true", True), (" TRUE ", True)])
def test_the_port_is_shared_only_when_asked(value, shared):
    assert Settings.from_env({"APP": "shop", "SHARE_PORT": value}).share_port is shared
