"""How the image is built: its contents, its layer cache and its test stage."""

import re
import tarfile
import uuid

import pytest

from tests.docker import ROOT, base_image, build, copy_context, docker, layers

pytestmark = pytest.mark.container


def shell(image, script):
    return docker("run", "--rm", "--entrypoint", "sh", image, "-c", script, check=False)


def test_no_build_tools_tests_or_caches_in_the_image(image):
    modules = shell(image, "python -c 'import importlib.util as u; print([m for m in "
                           "(\"pip\", \"setuptools\", \"wheel\") if u.find_spec(m)])'")
    assert modules.stdout.strip() == "[]", modules.stderr
    tools = shell(image, "for t in pip pip3 gcc cc g++ make; do command -v $t; done; "
                         "ls /opt/venv/bin | grep -i pip")
    assert tools.stdout == ""
    assert shell(image, "ls -A /app").stdout.split() == ["app"]  # no tests/, no build files
    caches = shell(image, "find / -xdev -name .cache; find /tmp -mindepth 1; "
                          "ls /var/cache/apt/archives/*.deb 2>/dev/null")
    assert caches.stdout == ""


def test_bytecode_is_precompiled(image):
    venv = "/opt/venv/lib/python3*/site-packages"
    result = shell(image, f"ls /app/app/__pycache__ {venv}/flask/__pycache__")
    assert result.returncode == 0
    assert re.search(r"^__init__\.cpython-3\d+\.pyc$", result.stdout, re.M)


def test_dockerfile_base_matches_python_version():
    version = (ROOT / ".python-version").read_text().strip()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG PYTHON_IMAGE=python:{version}-slim\n" in dockerfile
    # Every stage starts from the one argument, so a mirror overrides one thing.
    assert set(re.findall(r"^FROM (\S+)", dockerfile, re.M)) == {"${PYTHON_IMAGE}", "builder"}
    # Builds on Engine 20.10's builtin frontend as well as on buildx.
    assert not re.search(r"^# *syntax=", dockerfile, re.M)
    instructions = re.sub(r"^\s*#.*\n", "", dockerfile, flags=re.M)
    assert "<<" not in instructions and "--link" not in instructions


@pytest.fixture
def context(tmp_path, engine):
    return copy_context(tmp_path)


def test_app_change_rebuilds_only_the_app_layer(context, image):
    before = layers(build(context))
    with (context / "app/greeting.py").open("a") as f:
        f.write("# a one-line change\n")
    after = layers(build(context))
    assert len(before) == len(after)
    assert before[:-1] == after[:-1]  # base, user and dependency layers reused
    assert before[-1] != after[-1]


def test_requirements_change_reuses_the_base_layers(context, image):
    before = layers(build(context))
    with (context / "requirements.txt").open("a") as f:
        f.write("# a changed lock\n")
    after = layers(build(context))
    base_and_user = len(layers(base_image())) + 1  # the base, then pip removed and the user added
    assert before[:base_and_user] == after[:base_and_user]
    assert before[base_and_user] != after[base_and_user]  # the dependency layer


def build_test_stage(context):
    return docker("build", "--progress=plain", "--target", "test",
                  "--build-arg", f"PYTHON_IMAGE={base_image()}", str(context), check=False)


def test_test_stage_runs_the_unit_tests(context):
    # A new test file changes the cache key, so the stage runs instead of being cached.
    (context / f"tests/app/test_{uuid.uuid4().hex}.py").write_text("def test_new():\n    pass\n")
    result = build_test_stage(context)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stderr)


def test_test_stage_fails_when_a_test_fails(context):
    (context / "tests/app/test_broken.py").write_text("def test_broken():\n    assert False\n")
    result = build_test_stage(context)
    assert result.returncode != 0
    assert "1 failed" in result.stderr


def test_secrets_reach_pip_and_no_layer(context, tmp_path):
    """A pip.conf given as a BuildKit secret is what pip uses, and no layer keeps it."""
    with (context / "requirements.txt").open("a") as f:
        f.write(f"# {uuid.uuid4()}: a fresh cache key, so pip runs with the secret mounted\n")
    broken = tmp_path / "broken.conf"
    broken.write_text("[global]\nindex-url = http://127.0.0.1:9/simple\nretries = 0\n"
                      "no-cache-dir = true\nfind-links =\n")
    args = ["build", "--target", "builder", "--build-arg", f"PYTHON_IMAGE={base_image()}"]
    refused = docker(*args, "--secret", f"id=pip.conf,src={broken}", str(context), check=False)
    assert refused.returncode != 0 and "127.0.0.1" in refused.stderr

    marker = "index-token-8d1f3a"
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\n# {marker}\ntimeout = 61\n")
    docker(*args, "--secret", f"id=pip.conf,src={conf}", "-t", "python-app-test:secret",
           str(context))
    docker("save", "-o", str(tmp_path / "image.tar"), "python-app-test:secret")
    assert marker.encode() not in (tmp_path / "image.tar").read_bytes()


def test_the_build_context_is_an_allowlist(context, tmp_path):
    """What `docker build .` sends: the allowlisted files only, whatever else lies around."""
    (context / ".env").write_text("SECRET=1\n")
    (context / "notes.txt").write_text("x\n")
    (context / ".git").mkdir()
    (context / "app/__pycache__").mkdir()
    (context / "app/__pycache__/x.cpython-313.pyc").write_bytes(b"")
    probe = tmp_path / "Dockerfile.context"
    probe.write_text("FROM scratch\nCOPY . /context/\n")
    docker("build", "-f", str(probe), "-t", "python-app-test:context", str(context))
    docker("rm", "-f", "python-app-test-context", check=False)
    docker("create", "--name", "python-app-test-context", "python-app-test:context", "x")
    try:
        docker("export", "-o", str(tmp_path / "context.tar"), "python-app-test-context")
    finally:
        docker("rm", "-f", "python-app-test-context", check=False)
    with tarfile.open(tmp_path / "context.tar") as tar:
        sent = {name.split("/")[1] for name in tar.getnames() if name.startswith("context/")}
    assert sent == {"app", "tests", "requirements.txt", "requirements-dev.txt", "pyproject.toml",
                    ".flake8"}
    with tarfile.open(tmp_path / "context.tar") as tar:
        assert not [n for n in tar.getnames() if "__pycache__" in n or n.endswith(".pyc")]
