"""The pipeline's decisions (tags, lock freshness, what to publish, release immutability, scan
verdict), kept in Python with unit tests; scripts/ only glues the stages together."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping


class PipelineError(Exception):
    """A refusal with a one-line message that names the fix."""


def cli(tool: str, *args: str, check: bool = True, stdin: str | None = None,
        env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A command-line tool (its upper-cased name's variable overrides its path), captured; a
    failure becomes one line with the tool's own last words."""
    result = subprocess.run([os.environ.get(tool.upper(), tool), *args], input=stdin, env=env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PipelineError(f"{tool} {' '.join(args[:3])} failed: {last}")
    return result


def docker(*args: str, check: bool = True, stdin: str | None = None,
           env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The Docker CLI (cli)."""
    return cli("docker", *args, check=check, stdin=stdin, env=env)
