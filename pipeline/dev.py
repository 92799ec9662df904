"""`make dev`: compose.yaml's app and, beside it, what the Procfile names: its release once before
the server starts, its workers after; a random value for each secret of env/secrets, kept in
.cache/dev/secrets (a restart keeps sessions) and mounted where every deploy mounts secrets.
Writes a Compose file that extends compose.yaml's service; `scripts/dev.sh` runs both."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import env, procfile

FOLDER = Path(".cache/dev")
SECRETS = "/run/secrets"


def secrets(root: Path) -> Path:
    """One file per listed secret, made once; a name no longer listed goes."""
    folder = root / FOLDER / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the app's user reads them in the container
    listed = env.stand_ins(root)
    for path in folder.iterdir():
        if path.name not in listed:
            path.unlink()
    for key, value in listed.items():
        path = folder / key
        if not path.exists():
            path.write_text(value)
        path.chmod(0o644)
    return folder


def compose(root: Path) -> str:
    """The Compose file beside compose.yaml (YAML, for Compose's `!reset`; the values quoted as
    JSON strings, which YAML reads alike)."""
    processes = procfile.read(root)
    mount = json.dumps(f"{secrets(root).resolve()}:{SECRETS}:ro")
    base = json.dumps(str((root / "compose.yaml").resolve()))
    lines = ["services:", "  app:", f"    volumes: [{mount}]"]
    if processes.release:
        lines += ["    depends_on:", "      release:",
                  "        condition: service_completed_successfully"]
    others = ([processes.release] if processes.release else []) + list(processes.workers)
    for process in others:
        lines += [f"  {process.name}:", "    extends:", f"      file: {base}",
                  "      service: app", f"    command: {json.dumps(process.argv)}",
                  "    ports: !reset []", f"    volumes: [{mount}]"]
        if process is not processes.release:
            # The image's check asks the web server; a worker is healthy while it runs, which
            # `docker compose up --wait` needs to be told.
            lines += ["    healthcheck:", '      test: ["CMD", "true"]', "      interval: 1m",
                      "      start_period: 1m", "      start_interval: 200ms"]
    return "\n".join(lines) + "\n"


def main(root: Path = Path(".")) -> Path:
    path = root / FOLDER / "compose.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(compose(root))
    return path
