"""The behaviour of each pinned third-party action the workflows rely on, for act runs offline.

Each `<owner>-<repo>/action.yml` beside this file declares the pinned version's inputs and
outputs and calls `python3 $STAND_INS/standin.py NAME`; act passes the inputs as INPUT_* (here
set by the action.yml itself, as act's composite actions do not). What each reproduces is cited
from the pinned version's source. Services GitHub provides are kept in $STAND_IN_STORE, one
folder per repository under test: the artifact store, a record of logins, attestations, SARIF
uploads and releases. Standard library only: it runs on the runner's bare Python.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

STORE = Path(os.environ.get("STAND_IN_STORE", "/nonexistent"))


def inp(name: str, default: str = "") -> str:
    return os.environ.get("INPUT_" + name.upper().replace("-", "_"), "").strip() or default


def output(**values: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        for key, value in values.items():
            out.write(f"{key}={value}\n")


def add_path(folder: Path) -> None:
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as out:
        out.write(f"{folder}\n")


def record(kind: str, **entry: object) -> None:
    STORE.mkdir(parents=True, exist_ok=True)
    entry = {"job": os.environ.get("GITHUB_JOB", ""), **entry}
    with open(STORE / f"{kind}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def fail(message: str) -> None:
    print(f"::error::{message}")
    sys.exit(1)


def offered(name: str) -> str:
    """A tool the runner's image offers ($STAND_IN_TOOLS, the harness's tool cache)."""
    path = Path(os.environ["STAND_IN_TOOLS"]) / name
    if not path.exists():
        fail(f"{name} is not offered by this runner (the stand-in downloads nothing)")
    return str(path)


def tool_dir(name: str) -> Path:
    # The job's own folder: matrix legs run at once here, on one machine.
    folder = Path(os.environ["RUNNER_TEMP"]) / "stand-in-tools" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def checkout() -> None:
    """actions/checkout v7.0.1: an empty workspace gets the event's commit, fetch-depth 1, no
    tags, detached (src/git-source-provider.ts: prepareExistingDirectory cleans, fetch with
    --depth=1 of github.sha). Ignored and untracked files of the developer never appear.
    The remote is $STAND_IN_ORIGIN, a local repository standing in for github.com."""
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    for child in workspace.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    sha = os.environ["GITHUB_SHA"]
    origin = "file://" + os.environ["STAND_IN_ORIGIN"]
    for argv in (["init", "-q"], ["remote", "add", "origin", origin],
                 ["-c", "protocol.version=2", "fetch", "-q", "--no-tags", "--depth=1", "origin",
                  sha], ["checkout", "-q", "--detach", "FETCH_HEAD"]):
        subprocess.run(["git", *argv], cwd=workspace, check=True)
    output(ref=os.environ.get("GITHUB_REF", ""), commit=sha)


def setup_python() -> None:
    """actions/setup-python v7.0.0: the version in python-version-file, first on PATH; the
    runner here has it installed (the real action downloads it)."""
    version = (Path(os.environ["GITHUB_WORKSPACE"]) / inp("python-version-file")).read_text()
    version = version.strip()
    found = offered(f"python{version}")
    folder = tool_dir(f"python-{version}")
    for name in ("python", "python3", f"python{version}"):
        link = folder / name
        if not link.exists():
            link.symlink_to(found)
    add_path(folder)
    output(**{"python-version": version, "python-path": str(folder / "python")})


def setup_trivy() -> None:
    """aquasecurity/setup-trivy v0.3.1: Trivy `version` on PATH (the real one downloads that
    release). The runner offers the one Trivy the harness gives it: any other version fails,
    as a version that does not exist fails the real action."""
    wanted = inp("version").removeprefix("v")
    offered_trivy = offered("trivy")
    said = subprocess.run([offered_trivy, "--version"], capture_output=True, text=True).stdout
    if f"Version: {wanted}" not in said:
        fail(f"Trivy v{wanted} is not offered here ({said.splitlines()[:1]})")
    folder = tool_dir(f"trivy-{wanted}")
    if not (folder / "trivy").exists():
        (folder / "trivy").symlink_to(offered_trivy)
    add_path(folder)


def setup_buildx() -> None:
    """docker/setup-buildx-action v4.3.0 creates a docker-container builder; that driver cannot
    start here, so the engine's own builder (docker driver, containerd store) serves."""
    said = subprocess.run(["docker", "buildx", "inspect"], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(line.split(":", 1) for line in said.splitlines() if ":" in line)
    output(name=fields.get("Name", "").strip(), driver=fields.get("Driver", "").strip(),
           platforms=fields.get("Platforms", "").strip().replace(" ", ""))


def login() -> None:
    """docker/login-action v4.1.0: registry, username and password are required; the registry
    under test takes anyone, so the login is recorded rather than sent."""
    registry, username, password = inp("registry"), inp("username"), inp("password")
    if not (username and password):
        fail("Username and password required")
    record("logins", registry=registry, username=username)


def runtime() -> None:
    """crazy-max/ghaction-github-runtime v4.0.0: every ACTIONS_* variable the runner gives
    actions becomes every later step's environment (src/github.ts)."""
    with open(os.environ["GITHUB_ENV"], "a", encoding="utf-8") as env:
        for name, value in sorted(os.environ.items()):
            if name.startswith("ACTIONS_"):
                env.write(f"{name}={value}\n")


def upload_sarif() -> None:
    """github/codeql-action/upload-sarif v4.36.2: the file must be SARIF 2.1.0 (its
    validateSarifFileSchema); the upload is recorded with its category."""
    path = Path(os.environ["GITHUB_WORKSPACE"]) / inp("sarif_file")
    try:
        sarif = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        fail(f"Unable to upload {path}: {error}")
    if sarif.get("version") != "2.1.0" or not isinstance(sarif.get("runs"), list):
        fail(f"{path} is not SARIF 2.1.0")
    for run in sarif["runs"]:
        if not run.get("tool", {}).get("driver", {}).get("name"):
            fail(f"{path}: a run names no tool.driver.name")
        for result in run.get("results", []):
            if not (result.get("message", {}).get("text") and "ruleId" in result):
                fail(f"{path}: a result has no ruleId or message.text")
    record("sarif", category=inp("category"), results=sum(len(r.get("results", []))
                                                          for r in sarif["runs"]))


def artifacts() -> Path:
    return STORE / "artifacts" / os.environ["GITHUB_RUN_ID"]


def upload_artifact() -> None:
    """actions/upload-artifact v7.0.0: `path` lines are globs. Files keep their paths below the
    root (src/shared/search.ts): the least common ancestor of the search paths when there are
    several (getMultiPathLCA), the file's folder for one literal file, else the part before the
    first wildcard. No match is a warning, an error or nothing (if-no-files-found); an existing
    name is a conflict unless overwrite."""
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    files: list[Path] = []
    searched: list[Path] = []
    for pattern in filter(None, (line.strip() for line in inp("path").splitlines())):
        absolute = Path(pattern) if pattern.startswith("/") else workspace / pattern
        parts = absolute.parts
        literal = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")),
                       len(parts))
        searched.append(Path(*parts[:literal]))
        files += [p for p in Path("/").glob(str(absolute).lstrip("/")) if p.is_file()]
    name = inp("name", "artifact")
    if not files:
        how = inp("if-no-files-found", "warn")
        message = f"No files were found with the provided path: {inp('path')}"
        if how == "error":
            fail(message)
        print(f"::warning::{message}" if how == "warn" else message)
        return
    if len(searched) > 1:
        root = Path(os.path.commonpath([str(p) for p in searched]))
    else:
        root = searched[0].parent if searched[0].is_file() else searched[0]
    dest = artifacts() / name
    attempt = os.environ.get("GITHUB_RUN_ATTEMPT", "1")
    marker = artifacts() / f".{name}.attempt"
    if dest.exists():
        # A re-run attempt uploads anew; within one attempt a name is taken once.
        same = marker.exists() and marker.read_text() == attempt
        if same and inp("overwrite", "false") != "true":
            fail(f"an artifact with this name already exists on the workflow run: {name}")
        shutil.rmtree(dest)
    for path in files:
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    marker.write_text(attempt)
    output(**{"artifact-id": name, "artifact-url": f"stand-in://{dest}"})


def download_artifact() -> None:
    """actions/download-artifact v8.0.1: `name` extracts into `path`; a `pattern` (or no name)
    extracts each artifact into path/<name>/, except when exactly one artifact matches, which
    goes straight into `path`, as merge-multiple puts all (src/download-artifact.ts: `path:
    isSingleArtifactDownload || inputs.mergeMultiple || artifacts.length === 1 ? resolvedPath
    : path.join(resolvedPath, artifact.name)`). No artifact by that name is an error."""
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    path = Path(inp("path") or ".")
    path = path if path.is_absolute() else workspace / path
    store = artifacts()
    available = sorted(p.name for p in store.iterdir()
                       if not p.name.startswith(".")) if store.is_dir() else []
    name, pattern = inp("name"), inp("pattern")
    if name:
        if name not in available:
            fail(f"Artifact not found for name: {name}")
        chosen = [name]
    else:
        chosen = [a for a in available if not pattern or fnmatch.fnmatchcase(a, pattern)]
    single = len(chosen) == 1  # no match is no error: "Total of 0 artifact(s)"
    merge = inp("merge-multiple", "false") == "true"
    for artifact in chosen:
        dest = path if (name or single or merge) else path / artifact
        shutil.copytree(store / artifact, dest, dirs_exist_ok=True)
    print(f"downloaded {len(chosen)} artifact(s) to {path}: {', '.join(chosen)}")
    output(**{"download-path": str(path)})


def registry_has(subject: str) -> bool:
    repo, digest = subject.rsplit("@", 1)
    host, name = repo.split("/", 1)
    request = urllib.request.Request(
        f"http://{host}/v2/{name}/manifests/{digest}", method="HEAD",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                           "application/vnd.oci.image.index.v1+json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def attest() -> None:
    """actions/attest v4.2.2: one subject (subject-name, subject-digest), provenance unless an
    sbom-path is given; with push-to-registry the subject must be an image in a registry. The
    attestation is recorded (Sigstore and GitHub's attestations API are not here)."""
    subject = f"{inp('subject-name')}@{inp('subject-digest')}"
    if not inp("subject-digest").startswith("sha256:"):
        fail(f"subject-digest must be sha256:<hex>: {inp('subject-digest')!r}")
    sbom = inp("sbom-path")
    if sbom:
        try:
            json.loads((Path(os.environ["GITHUB_WORKSPACE"]) / sbom).read_text())
        except (OSError, ValueError) as error:
            fail(f"sbom-path: {error}")
    if inp("push-to-registry", "false") == "true" and not registry_has(subject):
        fail(f"{subject} is not in its registry")
    record("attestations", subject=subject, type="sbom" if sbom else "provenance",
           visibility=os.environ.get("STAND_IN_VISIBILITY", ""))
    output(**{"attestation-id": str(len(read("attestations"))), "bundle-path": ""})


def read(kind: str) -> list[dict[str, object]]:
    path = STORE / f"{kind}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def cosign_installer() -> None:
    """sigstore/cosign-installer v4.1.2: cosign on PATH. Keyless signing needs Sigstore (an
    OIDC token, Fulcio, Rekor), which is not here: the cosign installed signs and verifies
    keyless calls with a local key pair instead (`standin.py cosign`); calls with --key are
    cosign's own."""
    offered("cosign")
    folder = tool_dir("cosign")
    wrapper = folder / "cosign"
    wrapper.write_text('#!/bin/sh\nexec python3 "$STAND_INS/standin.py" cosign "$@"\n')
    wrapper.chmod(0o755)
    add_path(folder)


VALUED = ("--certificate-identity", "--certificate-identity-regexp",
          "--certificate-oidc-issuer", "--certificate-oidc-issuer-regexp")


def cosign() -> None:
    """cosign, keyless through a local key pair (the store's keyless.key): `sign` and `attest`
    without --key sign with it and record the identity a keyless signature would carry;
    `verify*` with certificate flags checks that identity, then the signature with the key."""
    real = offered("cosign")
    args = sys.argv[2:]
    keyless = ("sign", "attest", "verify", "verify-attestation")
    if not args or "--key" in args or args[0] not in keyless:
        os.execv(real, [real, *args])
    key = STORE / "keyless.key"
    env = {**os.environ, "COSIGN_PASSWORD": ""}
    if not key.exists():
        STORE.mkdir(parents=True, exist_ok=True)
        subprocess.run([real, "generate-key-pair", "--output-key-prefix", str(STORE / "keyless")],
                       cwd=STORE, env=env, check=True, capture_output=True)
    workflow = os.environ.get("GITHUB_WORKFLOW_REF") or (
        f"{os.environ['GITHUB_REPOSITORY']}/.github/workflows/release.yml@"
        f"{os.environ['GITHUB_REF']}")
    identity = f"{os.environ.get('GITHUB_SERVER_URL') or 'https://github.com'}/{workflow}"
    if args[0] in ("sign", "attest"):
        record("keyless", command=args[0], identity=identity, subject=args[-1])
        os.execve(real, [real, args[0], "--key", str(key), "--tlog-upload=false",
                         "--use-signing-config=false", *args[1:]], env)
    kept, wanted, i = [], {}, 1
    while i < len(args):
        name = args[i].split("=", 1)[0]
        if name in VALUED:
            wanted[name] = args[i].split("=", 1)[1] if "=" in args[i] else args[i + 1]
            i += 1 if "=" in args[i] else 2
            continue
        kept.append(args[i])
        i += 1
    pattern = wanted.get("--certificate-identity-regexp")
    if pattern is not None and not re.search(pattern, identity):
        sys.exit(f"Error: none of the expected identities matched what was in the certificate "
                 f"({identity})")
    os.execve(real, [real, args[0], "--key", str(STORE / "keyless.pub"), "--insecure-ignore-tlog",
                     *kept], env)


def gh() -> None:
    """The runner's `gh` for `release view TAG` and `release create TAG ... FILES`: the
    release and its assets are kept in the store; creating one that exists fails, as the
    API's 422 "already_exists" does."""
    args = sys.argv[2:]
    if args[:2] == ["release", "view"]:
        sys.exit(0 if (STORE / "releases" / args[2]).is_dir() else 1)
    if args[:2] != ["release", "create"]:
        sys.exit(f"gh stand-in: {' '.join(args)} is not served")
    tag, rest = args[2], args[3:]
    folder = STORE / "releases" / tag
    if folder.exists():
        sys.exit(f"HTTP 422: Validation Failed (release {tag} already_exists)")
    flags, assets, skip = [], [], False
    for arg in rest:
        if skip:
            flags[-1] += "=" + arg
            skip = False
        elif arg.startswith("--"):
            flags.append(arg)
            skip = arg in ("--repo", "--notes", "--title", "--target")
        else:
            assets.append(arg)
    (folder / "assets").mkdir(parents=True)
    for asset in assets:
        shutil.copy2(asset, folder / "assets")
    (folder / "release.json").write_text(json.dumps({"tag": tag, "flags": flags}) + "\n")
    print(f"https://github.com/stand-in/releases/tag/{tag}")


COMMANDS = {
    "checkout": checkout, "setup-python": setup_python, "setup-trivy": setup_trivy,
    "setup-buildx": setup_buildx, "login": login, "runtime": runtime,
    "upload-sarif": upload_sarif, "upload-artifact": upload_artifact,
    "download-artifact": download_artifact, "attest": attest,
    "cosign-installer": cosign_installer, "cosign": cosign, "gh": gh,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]]()
