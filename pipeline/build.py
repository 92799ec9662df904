"""Stage 2, one platform: `docker buildx build` with the version, revision and commit time as
build arguments; on push runs the result goes to the registry untagged, by digest, and smoke and
scan then run that very digest. Nothing here tags: publishing does, after the gates passed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import PipelineError, base, docker, gitref, registry, run, tags
from server.app import package


@dataclass(frozen=True)
class Build:
    image: str  # registry/repository
    platform: str  # os/arch
    push: bool
    driver: str  # the buildx builder's driver: `docker` cannot push by digest
    metadata: Path
    layout: Path  # OCI layout for the `docker` driver's push
    args: dict[str, str] = field(default_factory=dict)
    cache_from: str = ""
    cache_to: str = ""
    extra: tuple[str, ...] = ()  # e.g. the base-image override from `python -m pipeline base-args`

    @property
    def local(self) -> str:
        return f"{self.image}:candidate-{self.platform.split('/')[-1]}"

    @property
    def by_layout(self) -> bool:
        return self.push and self.driver == "docker"

    def argv(self) -> list[str]:
        argv = ["buildx", "build", "--platform", self.platform,
                "--metadata-file", str(self.metadata),
                # Attestations come from the release workflow, per platform manifest: the pushed
                # object stays one image manifest, the same digest on every rebuild from cache.
                "--provenance=false", "--sbom=false"]
        for key, value in self.args.items():
            argv += ["--build-arg", f"{key}={value}"]
        if self.cache_from:
            argv += ["--cache-from", self.cache_from]
        if self.cache_to:
            argv += ["--cache-to", self.cache_to]
        if not self.push:
            argv += ["--load", "--tag", self.local]
        elif self.by_layout:
            argv += ["--output", f"type=oci,dest={self.layout},tar=false"]
        else:
            argv += ["--output", f"type=image,name={self.image},push-by-digest=true,"
                                 "name-canonical=true,push=true"]
        return argv + list(self.extra) + ["."]


def driver() -> str:
    for line in docker("buildx", "inspect").stdout.splitlines():
        if line.startswith("Driver:"):
            return line.split(":", 1)[1].strip()
    raise PipelineError("docker buildx inspect names no driver: is buildx installed?")


def plain_http(image: str) -> bool:
    return registry.local(image.split("/")[0])


def settings(image: str, ref: str = "", sha: str = "", dirty: bool = False) -> run.Run:
    """The tags and labels for the ref being built: a ref (and commit) as CI gives them, else
    git's view of HEAD, uncommitted changes included."""
    if not ref:
        ref, sha, dirty = gitref.head()
    elif not sha:
        sha = gitref.git("rev-parse", "HEAD")
    computed = tags.compute(ref, sha, dirty)
    return run.Run(image, ref, sha + ("-dirty" if dirty else ""), computed.version,
                   list(computed.tags), list(computed.immutable),
                   created=gitref.commit_time(sha))


def build_args(record: run.Run, sha: str, source: str) -> dict[str, str]:
    return {"VERSION": record.version, "REVISION": record.revision,
            "CREATED": record.created, "SOURCE_DATE_EPOCH": gitref.commit_epoch(sha),
            "TITLE": record.image.rsplit("/", 1)[-1], **({"SOURCE": source} if source else {})}


def execute(spec: Build) -> run.Platform:
    """Build, push by digest where asked, and say what smoke and scan must run."""
    if spec.by_layout:
        shutil.rmtree(spec.layout, ignore_errors=True)
    code = subprocess.run([os.environ.get("DOCKER", "docker"), *spec.argv()]).returncode
    if code != 0:
        raise PipelineError(f"the {spec.platform} build failed (buildx exited {code}): see above")
    meta = json.loads(spec.metadata.read_text())
    if "buildx.build.provenance" in meta:  # attested with the image by sign.sh
        arch = spec.platform.split("/")[-1]
        provenance = spec.metadata.parent / f"provenance-{arch}.json"
        provenance.write_text(json.dumps(meta["buildx.build.provenance"], indent=2) + "\n")
    config, digest = meta["containerimage.config.digest"], meta["containerimage.digest"]
    if not spec.push:
        return run.Platform(spec.platform, spec.local, config)
    if spec.by_layout:
        # The docker driver cannot push by digest: copy the exported manifest, untagged.
        oras = ["oras", "cp", "--from-oci-layout", f"{spec.layout}@{digest}",
                f"{spec.image}@{digest}"]
        if plain_http(spec.image):
            oras.insert(2, "--to-plain-http")
        done = subprocess.run(oras, capture_output=True, text=True)
        if done.returncode != 0:
            raise PipelineError(f"pushing {spec.image}@{digest} failed: "
                                f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    pushed = f"{spec.image}@{digest}"
    docker("pull", "--quiet", "--platform", spec.platform, pushed)
    return run.Platform(spec.platform, pushed, config, digest)


def check_context(dockerfile: Path = base.DOCKERFILE) -> str:
    """What ARG APP names must be in src/ and reach the build (.dockerignore is an allowlist)."""
    app = base.app(dockerfile)
    top = package(app)  # as the server finds it
    root = dockerfile.parent
    found = base.source(root, top)
    if not found:
        raise PipelineError(f"the Dockerfile serves {app} (ARG APP) but {base.SOURCE}/ has no "
                            f"package or module {top}: put your app in {base.SOURCE}/{top}/, or "
                            "set ARG APP to it")
    ignore = root / ".dockerignore"
    rules = gitref.ignores(ignore.read_text() if ignore.is_file() else "")
    if not gitref.in_context(found, rules):
        raise PipelineError(f"the Dockerfile serves {app} (ARG APP) but .dockerignore leaves "
                            f"{found} out: keep `!{base.SOURCE}/` in it")
    return app


def main(image: str, platform: str, push: bool, artifacts: Path, cache_from: str, cache_to: str,
         extra: list[str]) -> run.Run:
    check_context()
    record = settings(image, os.environ.get("REF", ""), os.environ.get("SHA", ""))
    path = artifacts / "run.json"
    try:
        previous = run.load(path)
        if (previous.image, previous.revision) == (record.image, record.revision):
            record.platforms = previous.platforms  # another platform of the same commit
    except PipelineError:
        pass
    sha = record.revision.removesuffix("-dirty")
    arch = platform.split("/")[-1]
    if push and not (cache_from or cache_to):
        # The twin of CI's type=gha,mode=max: every stage's layers, in the registry pushed to.
        cache = f"type=registry,ref={image}-buildcache:{arch}"
        cache_from, cache_to = cache, cache + ",mode=max"
    spec = Build(image, platform, push, driver(), artifacts / f"build-{arch}.json",
                 Path(os.environ.get("OCI_LAYOUT", ".cache/oci")),
                 build_args(record, sha, gitref.source_url()),
                 cache_from, cache_to, tuple(extra))
    artifacts.mkdir(parents=True, exist_ok=True)
    record.add(execute(spec))
    record.save(path)
    return record
