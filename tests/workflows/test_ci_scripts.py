"""The scripts the workflows call, run here as GitHub runs them (its environment variables)."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_ci_prepare_writes_env_and_build_args(tmp_path):
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    env = {**os.environ, "PLATFORM": "linux/arm64", "GITHUB_REF": "refs/tags/v1.2.3",
           "GITHUB_SHA": sha, "GITHUB_ENV": str(tmp_path / "env"),
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "Acme/Shop"}
    subprocess.run(["scripts/ci-prepare.sh"], cwd=ROOT, env=env, check=True)
    lines = (tmp_path / "env").read_text().splitlines()
    assert lines[0] == "PLATFORM_PAIR=linux-arm64"
    assert "TAGS=1.2.3 1.2 1 latest" in lines and "IMMUTABLE=1.2.3" in lines
    output = (tmp_path / "output").read_text().splitlines()
    assert output[0] == "build-args<<BUILD_ARGS" and output[-1] == "BUILD_ARGS"
    args = dict(line.split("=", 1) for line in output[1:-1])
    assert set(args) == {"VERSION", "REVISION", "CREATED", "SOURCE_DATE_EPOCH", "SOURCE", "TITLE"}
    assert (args["VERSION"], args["REVISION"]) == ("1.2.3", sha)
    assert (args["SOURCE"], args["TITLE"]) == ("https://github.com/Acme/Shop", "Shop")
