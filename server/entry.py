"""The image's entrypoint: each secret file into the environment, then the command given (gunicorn,
a release's `flask db upgrade`, a worker), so an app that reads os.environ runs unchanged in any of
them. Deploy targets mount each secret as /run/secrets/<NAME> (Swarm secrets, a Kubernetes Secret
volume); SECRETS_DIR names another directory."""

import os
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path

SECRETS = Path("/run/secrets")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
USAGE = "usage: python -m server.entry COMMAND [ARG...]"


class SecretError(Exception):
    """A secret that cannot become an environment variable."""


def export(directory: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Sets environ[NAME] to each file NAME's text (a secret wins over the environment) and
    returns the names set. Other names are not meant as variables: Kubernetes' own `..data`,
    say."""
    try:
        paths = sorted(directory.iterdir(), key=lambda p: p.name)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise SecretError(f"cannot list the secrets in {directory}: {error.strerror}") from None
    names = []
    for path in paths:
        # is_file follows links: Kubernetes mounts each secret as a link into `..data/`.
        if not NAME.fullmatch(path.name) or not path.is_file():
            continue
        try:
            text = path.read_bytes().decode()
        except OSError as error:
            raise SecretError(f"cannot read the secret {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise SecretError(f"the secret {path} is not UTF-8 text") from None
        if "\0" in text:
            raise SecretError(f"the secret {path} holds a NUL byte, which no variable can")
        # `echo value > file` and most editors end the file with a newline the value never had.
        environ[path.name] = text.removesuffix("\n")
        names.append(path.name)
    return names


def main(argv: list[str]) -> int:
    """Exports the secrets and becomes the command (exec, not a child: the command gets the
    container's signals itself, and its exit status is the container's)."""
    if not argv:
        print(f"error: no command to run; {USAGE}", file=sys.stderr)
        return 2
    try:
        export(Path(os.environ.get("SECRETS_DIR") or SECRETS), os.environ)
    except SecretError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        os.execvp(argv[0], argv)
    except FileNotFoundError:
        print(f"error: {argv[0]}: command not found", file=sys.stderr)
        return 127
    except OSError as error:  # as a shell answers: found, but not to be run
        print(f"error: {argv[0]}: {error.strerror}", file=sys.stderr)
        return 126


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
