"""The app's processes, as a `Procfile`: `release:` runs once per deploy with the new image, before
any task is replaced (migrations); every other line is a process that runs beside the web server
(a worker), with the same image, settings and secrets. The web process is the image's own
command (the server), so a `web:` line is refused. Standard library only."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from pipeline import PipelineError

FILE = "Procfile"
RELEASE = "release"
WEB = "app"  # the web service's name in every deploy target
LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.*?)\s*$")
NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")
# Characters that need a shell: such a command runs under `sh -c`, any other is exec'd as it is
# (signals then reach the process itself, so a worker stops cleanly).
SHELL = re.compile(r"[;&|<>$`*?~(){}\[\]\\\n]")


@dataclass(frozen=True)
class Process:
    name: str
    command: str

    @property
    def argv(self) -> list[str]:
        if SHELL.search(self.command):
            return ["sh", "-c", self.command]
        return shlex.split(self.command)


@dataclass(frozen=True)
class Processes:
    release: Process | None
    workers: tuple[Process, ...]


def parse(text: str, name: str = FILE) -> Processes:
    release: Process | None = None
    workers: list[Process] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = LINE.match(line)
        if not found or not found["command"]:
            raise PipelineError(f"{where}: expected `name: command`, got {line!r}")
        kind, command = found["name"], found["command"]
        if kind == "web":
            raise PipelineError(f"{where}: web is the image's server (APP names what it "
                                "serves): remove the line")
        if kind == WEB:
            raise PipelineError(f"{where}: {WEB} is the web service's name: call the process "
                                "otherwise, e.g. worker")
        if not NAME.fullmatch(kind):
            raise PipelineError(f"{where}: {kind!r} is not a process name: lowercase letters, "
                                "digits and -, e.g. worker")
        if kind in seen:
            raise PipelineError(f"{where}: {kind} is defined twice: keep one")
        seen.add(kind)
        try:
            shlex.split(command)
        except ValueError as error:
            raise PipelineError(f"{where}: {kind}'s command does not parse: {error}") from None
        if kind == RELEASE:
            release = Process(kind, command)
        else:
            workers.append(Process(kind, command))
    return Processes(release, tuple(workers))


def read(root: Path) -> Processes:
    path = root / FILE
    return parse(path.read_text() if path.is_file() else "")
