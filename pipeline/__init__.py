"""The pipeline's decisions (tags, lock freshness, what to publish, release immutability, scan
verdict), kept in Python with unit tests; scripts/ only glues the stages together."""

from __future__ import annotations

import os
import subprocess


class PipelineError(Exception):
    """A refusal with a one-line message that names the fix."""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The Docker CLI, captured; a failure becomes one line with the CLI's own last words."""
    result = subprocess.run([os.environ.get("DOCKER", "docker"), *args],
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PipelineError(f"docker {' '.join(args[:3])} failed: {last}")
    return result
