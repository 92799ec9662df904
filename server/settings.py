"""Every setting the server reads from the environment, validated in one place."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

# The template answers these itself, before the app: probes and people need them whatever the app.
HEALTH_PATH = "/healthz"
VERSION_PATH = "/version"


def socket_path(port: int) -> str:
    """The server's own unix socket: /dev/shm is writable and private in every container, so a
    health check reaches its own server even where tasks share a host's network and port."""
    return f"/dev/shm/server-{port}.sock"


class ConfigError(ValueError):
    """A bad environment value: the message names the variable and what it expects."""


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer; expected {low}..{high}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; expected {low}..{high}")
    return value


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "true", "false"):
        raise ConfigError(f"{name}={raw!r} is not a switch; expected 1 or 0")
    return raw in ("1", "true")


@dataclass(frozen=True)
class Settings:
    app: str
    port: int = 80
    web_concurrency: int = 2
    max_content_length: int = 1024 * 1024
    share_port: bool = False
    version: str = "dev"
    revision: str = "unknown"
    created: str = "unknown"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        app = env.get("APP", "").strip()
        if not app:
            raise ConfigError("APP is not set; expected a package, module or module:callable")
        return cls(
            app=app,
            port=_integer(env, "PORT", cls.port, 1, 65535),
            web_concurrency=_integer(env, "WEB_CONCURRENCY", cls.web_concurrency, 1, 64),
            max_content_length=_integer(
                env, "MAX_CONTENT_LENGTH", cls.max_content_length, 1, 1024**3
            ),
            share_port=_switch(env, "SHARE_PORT"),
            # Set by the Dockerfile from its build arguments; absent when run outside an image.
            version=env.get("APP_VERSION") or cls.version,
            revision=env.get("APP_REVISION") or cls.revision,
            created=env.get("APP_CREATED") or cls.created,
        )

    def build_info(self) -> dict[str, str]:
        return {"version": self.version, "revision": self.revision, "created": self.created}
