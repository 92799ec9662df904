"""How the image is built: its contents, its layer cache and its test stage."""

import os
import re
import tarfile
import uuid
from pathlib import Path

import pytest

from pipeline import base
from template.tests.docker import base_args, base_image, build, copy_context, docker, layers

pytestmark = pytest.mark.container


def shell(image, script):
    return docker("run", "--rm", "--entrypoint", "sh", image, "-c", script, check=False)


def test_no_build_tools_tests_or_caches_in_the_image(image):
    modules = shell(image, "python -c 'import importlib.util as u; print([m for m in "
                           "(\"pip\", \"setuptools\", \"wheel\") if u.find_spec(m)])'")
    assert modules.stdout.strip() == "[]", modules.stderr
    tools = shell(image, "for t in pip pip3 uv uvx gcc cc g++ make; do command -v $t; done; "
                         "ls /opt/venv/bin | grep -i -e pip -e uv; ls /bin/uv 2>/dev/null")
    assert tools.stdout == ""
    assert shell(image, "ls -A /app").stdout.split() == ["server", "src"]  # no tests/
    caches = shell(image, "find / -xdev -name .cache; find /tmp -mindepth 1; "
                          "ls /var/cache/apt/archives/*.deb 2>/dev/null")
    assert caches.stdout == ""


def test_dependencies_are_precompiled_valid_whatever_the_file_times(image):
    """Hash-based pycs the interpreter does not check against the source (flags 1: unchecked),
    so they stay valid whatever the files' times. The app's few modules are compiled at start-up
    (about 0.5 ms), which keeps the app-change build to one COPY."""
    venv = "/opt/venv/lib/python3*/site-packages"
    flags = shell(image, f"for f in {venv}/flask/__pycache__/app.*.pyc {venv}/gunicorn/"
                         "__pycache__/__init__.*.pyc; do od -An -tu4 -j4 -N4 $f; done")
    assert flags.returncode == 0, flags.stderr
    assert flags.stdout.split() == ["1", "1"]
    # Tests directories are not compiled: nothing imports them.
    assert shell(image, f"find {venv} -path '*/tests/*.pyc'").stdout == ""


def test_every_stage_starts_from_the_one_base_or_another_stage():
    dockerfile = (base.ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", dockerfile, re.M)
    stages = set(re.findall(r"^FROM\s.*\sAS\s+(\S+)$", dockerfile, re.M))
    assert froms[0] == base.ref() and set(froms[1:]) <= stages
    # The runtime is the last stage, so a plain `docker build .` builds it.
    assert re.findall(r"^FROM\s+.*$", dockerfile, re.M)[-1] == "FROM deps AS runtime"


@pytest.fixture
def context(tmp_path, engine):
    return copy_context(tmp_path)


def test_app_change_rebuilds_only_the_app_layer(context, image):
    before = layers(build(context))
    with (context / "src/app/greeting.py").open("a") as f:
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


def test_a_dependency_added_then_removed_leaves_the_venv_as_the_lock_says(context):
    """The venv kept between builds (a cache mount) is synced to each lock: what is added is
    installed and compiled, what is removed is gone, and the scripts still find their Python."""
    plus_one = (base.ROOT / "template/bench/locks/template-plus1.txt").read_text()
    (context / "requirements.txt").write_text(plus_one + f"# {uuid.uuid4()}\n")
    added = build(context)
    probe = shell(added, "python -c 'import dotenv' && gunicorn --version && "
                         "ls /opt/venv/lib/python3*/site-packages/dotenv/__pycache__")
    assert probe.returncode == 0, probe.stderr
    assert re.search(r"^main\.cpython-3\d+\.pyc$", probe.stdout, re.M)
    lock = (base.ROOT / "requirements.txt").read_text()
    (context / "requirements.txt").write_text(lock + f"# {uuid.uuid4()}\n")
    removed = build(context)
    assert shell(removed, "python -c 'import dotenv'").returncode != 0
    assert shell(removed, "ls /opt/venv/lib/python3*/site-packages | grep -i dotenv").stdout == ""
    assert shell(removed, "gunicorn --version").returncode == 0


def build_test_stage(context):
    # cacheonly: the stage runs, and no image of it (tests, dev tools) lands in the engine
    return docker("buildx", "build", "--progress=plain", "--output=type=cacheonly", "--target",
                  "test", *base_args(), str(context), check=False)


def test_test_stage_runs_the_unit_tests(context):
    # A new test file changes the cache key, so the stage runs instead of being cached.
    (context / f"tests/test_{uuid.uuid4().hex}.py").write_text("def test_new():\n    pass\n")
    result = build_test_stage(context)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stderr)


def test_test_stage_fails_when_a_test_fails(context):
    (context / "tests/test_broken.py").write_text("def test_broken():\n    assert False\n")
    result = build_test_stage(context)
    assert result.returncode != 0
    assert "1 failed" in result.stderr


def test_secrets_reach_uv_and_no_layer(context, tmp_path):
    """A private index URL and a CA given as BuildKit secrets are what uv uses; no layer keeps
    either."""
    with (context / "requirements.txt").open("a") as f:
        f.write(f"# {uuid.uuid4()}: a fresh cache key, so uv runs with the secrets mounted\n")
    token = "index-token-8d1f3a"
    index = tmp_path / "index-url"
    index.write_text(f"http://{token}@127.0.0.1:9/simple")
    args = ["buildx", "build", "--load", "--target", "deps", *base_args()]
    refused = docker(*args, "--secret", f"id=index-url,src={index}", str(context), check=False)
    assert refused.returncode != 0 and "127.0.0.1:9" in refused.stderr

    marker = "company-ca-5e7c21"
    ca = tmp_path / "ca.pem"  # the machine's bundle, so the build still reaches its index
    ca.write_text(f"# {marker}\n" + Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    docker(*args, "--secret", f"id=ca,src={ca}", "-t", "python-app-test:secret", str(context))
    docker("save", "-o", str(tmp_path / "image.tar"), "python-app-test:secret")
    saved = (tmp_path / "image.tar").read_bytes()
    assert marker.encode() not in saved and token.encode() not in saved


def test_the_build_context_is_an_allowlist(context, tmp_path):
    """What `docker build .` sends: the allowlisted files only, whatever else lies around; a
    developer's secrets never, wherever they lie; the app's committed settings neither."""
    (context / ".env").write_text("SECRET=1\n")
    secrets = ["src/.env", "src/app/.env.local", "src/id_ed25519", "src/app/certs/server.key",
               "src/app/certs/server.pem", "tests/.env"]
    for name in secrets:
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text("SECRET_KEY=s3cr3t\n")
    (context / "env").mkdir()
    (context / "env/app.env").write_text("LOG_TO_STDOUT=1\n")
    (context / "Procfile").write_text("release: flask db upgrade\n")
    (context / "notes.txt").write_text("x\n")
    (context / ".git").mkdir()
    (context / "src/app/__pycache__").mkdir()
    (context / "src/app/__pycache__/x.cpython-313.pyc").write_bytes(b"")
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
    assert sent == {"src", "server", "tests", "requirements.txt", "requirements-dev.txt",
                    "requirements-build.txt", "pyproject.toml", ".flake8"}
    with tarfile.open(tmp_path / "context.tar") as tar:
        names = tar.getnames()
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert not {f"context/{name}" for name in secrets} & set(names)
        assert "context/src/app/certs" in names  # the folder came, its key did not


def test_the_base_override_builds_one_platform_and_two(context):
    """PYTHON_IMAGE's named context replaces the digest-pinned base on every platform; uv comes
    for the target's architecture without emulating pip."""
    platforms = ["linux/amd64", "linux/arm64"]
    missing = [p for p in platforms
               if docker("image", "inspect", "--platform", p, base_image(), check=False).returncode]
    if missing:
        message = f"{base_image()} lacks {', '.join(missing)} (template/scripts/stand-in-base.sh)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    tag = f"python-app-test:platforms-{uuid.uuid4().hex[:8]}"
    for wanted in (platforms[:1], platforms):
        docker("buildx", "build", "--load", "--platform", ",".join(wanted), *base_args(),
               "-t", tag, str(context))
        for platform in wanted:
            arch = platform.split("/")[1]
            probe = docker("run", "--rm", "--platform", platform, "--entrypoint", "python", tag,
                           "-c", "import platform, flask; print(platform.machine())")
            assert probe.stdout.strip() == {"amd64": "x86_64", "arm64": "aarch64"}[arch]
    docker("rmi", tag, check=False)


def test_the_apps_build_step_runs_in_src_with_the_dependencies_and_ships(context):
    """The Dockerfile's one marked place for an app's build step (compiling translations, say):
    it runs in src/ with the dependencies, and what it writes there is in the image, read-only
    for the app's user."""
    dockerfile = context / "Dockerfile"
    marked = "# RUN pybabel compile -d app/translations\n"
    assert marked in dockerfile.read_text()
    dockerfile.write_text(dockerfile.read_text().replace(marked, (
        "RUN python -c \"import flask, os; open('app/built.txt', 'w').write(os.getcwd() + ' ' + "
        "flask.__name__)\"\n")))
    tag = f"python-app-test:build-step-{uuid.uuid4().hex[:8]}"
    docker("buildx", "build", "--load", "--target", "runtime", *base_args(), "-t", tag,
           str(context))
    try:
        built = docker("run", "--rm", "--read-only", "--entrypoint", "sh", tag, "-c",
                       "cat app/built.txt; echo; stat -c '%u %a' app/built.txt; "
                       "touch app/built.txt 2>/dev/null || echo read-only")
        assert built.stdout.split("\n")[:3] == ["/app/src flask", "0 644", "read-only"]
    finally:
        docker("rmi", tag, check=False)
