"""Stage 5: tag the digests that passed, and only those. A release version never moves: re-running
a release whose platform images are the ones it already has is a no-op; other content is refused,
naming the digest the version has. Images are compared per platform by config digest (layers and
run-time settings), never by the index digest, which attestations and signatures do not touch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import PipelineError, docker, run


@dataclass(frozen=True)
class Published:
    digest: str  # the index's
    configs: dict[str, str]  # platform -> config digest


@dataclass(frozen=True)
class Plan:
    tags: list[str]
    sources: list[str]  # repo@digest of each platform manifest
    existing: str = ""  # the release's index when it is already published as planned
    manifests: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # branch tags already on a newer commit

    @property
    def noop(self) -> bool:
        return bool(self.existing)


def plan(record: run.Run, existing: dict[str, Published | None],
         heads: dict[str, str] | None = None) -> Plan:
    """`existing`: what each release tag holds; `heads`: the commit time of the image each
    branch tag (edge) holds. Runs on main never cancel each other, so an older commit's run may
    finish last: its branch tags stay where they are, its sha- tag is still published."""
    if record.ref.startswith("refs/pull/"):
        raise PipelineError("pull requests are built and tested, never published")
    if not record.platforms:
        raise PipelineError("the run record holds no build: run make build")
    for platform in record.platforms:
        if not platform.digest:
            raise PipelineError(f"{platform.platform} was not pushed by digest: build with PUSH=1")
        missing = [stage for stage in run.STAGES if stage not in platform.passed]
        if missing:
            raise PipelineError(f"{platform.platform} has not passed {' and '.join(missing)}: "
                                "nothing was published; run make pipeline")
    ours = {p.platform: p.config for p in record.platforms}
    manifests = {p.platform: p.digest for p in record.platforms}
    sources = [f"{record.image}@{p.digest}" for p in record.platforms]
    for tag in record.immutable:
        found = existing.get(tag)
        if found is None:
            continue
        if found.configs == ours:
            return Plan(record.tags, sources, found.digest, manifests)
        raise PipelineError(
            f"release {tag} already exists at {found.digest} with other content: release tags "
            "are immutable; cut a new version instead")
    kept = [tag for tag, created in (heads or {}).items()
            if tag in record.tags and tag not in record.immutable and not tag.startswith("sha-")
            and created > record.created]
    moving = [tag for tag in record.tags if tag not in kept]
    return Plan(moving, sources, "", manifests, kept)


def inspect(ref: str) -> dict[str, object] | None:
    """The manifest or index at `ref`, or None when the registry has no such tag."""
    result = docker("buildx", "imagetools", "inspect", "--raw", ref, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        # Only the registry's own 404 for this very reference means "absent": an outage, a
        # denied or unauthenticated request must never let a release tag be pushed.
        if last.removeprefix("ERROR: ") == f"{ref}: not found":
            return None
        raise PipelineError(f"cannot read {ref} from its registry: {last}")
    found: dict[str, object] = json.loads(result.stdout)
    return found


def digest_of(ref: str) -> str:
    manifest = json.loads(docker("buildx", "imagetools", "inspect", "--format",
                                 "{{json .Manifest}}", ref).stdout)
    return str(manifest["digest"])


def config_of(manifest: dict[str, object]) -> str:
    config = manifest.get("config")
    return str(config.get("digest")) if isinstance(config, dict) else ""


def published(repo: str, tag: str) -> Published | None:
    """What a release tag holds now, per platform; attestation manifests are not images."""
    index = inspect(f"{repo}:{tag}")
    if index is None:
        return None
    entries = index.get("manifests")
    configs: dict[str, str] = {}
    if isinstance(entries, list):
        for entry in entries:
            where = entry.get("platform") or {}
            platform = f"{where.get('os')}/{where.get('architecture')}"
            if platform == "unknown/unknown":
                continue
            manifest = inspect(f"{repo}@{entry['digest']}") or {}
            configs[platform] = config_of(manifest)
    else:
        configs["?"] = config_of(index)
    return Published(digest_of(f"{repo}:{tag}"), configs)


def created(ref: str) -> str:
    """The image's creation time (the commit's, from SOURCE_DATE_EPOCH); "" when the tag is new."""
    if inspect(ref) is None:
        return ""
    image = json.loads(docker("buildx", "imagetools", "inspect", "--format", "{{json .Image}}",
                              ref).stdout)
    configs = [image] if "created" in image else list(image.values())
    return str(configs[0].get("created", "")) if configs else ""


def found(paths: list[Path]) -> list[Path]:
    """Run records: files as given, and every run.json under a folder (an artifact download
    puts one record straight in its path, several in a folder each)."""
    return [record for path in paths
            for record in (sorted(path.rglob("run.json")) if path.is_dir() else [path])]


def main(records: list[Path], out: Path) -> Plan:
    record = run.merge([run.load(path) for path in found(records)])
    existing = {tag: published(record.image, tag) for tag in record.immutable}
    branch = [t for t in record.tags if t not in record.immutable and not t.startswith("sha-")]
    heads = {tag: created(f"{record.image}:{tag}") for tag in branch} if record.created else {}
    chosen = plan(record, existing, heads)
    if chosen.noop:
        digest = chosen.existing
    else:
        argv = ["buildx", "imagetools", "create"]
        for tag in chosen.tags:
            argv += ["--tag", f"{record.image}:{tag}"]
        docker(*argv, *chosen.sources)
        digest = digest_of(f"{record.image}:{chosen.tags[0]}")
    done = {"image": record.image, "digest": digest, "tags": chosen.tags,
            "manifests": chosen.manifests, "noop": chosen.noop, "kept": chosen.kept}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(done, indent=2) + "\n")
    return chosen


def digests(ref: str) -> list[tuple[str, str]]:
    """(digest, platform) of what `ref` names and, for an index, of each platform image in it:
    everything that is signed. The index's platform is "index"."""
    found = inspect(ref)
    if found is None:
        raise PipelineError(f"{ref} does not exist in its registry")
    entries = found.get("manifests")
    named = [(digest_of(ref), "index" if isinstance(entries, list) else "image")]
    for entry in entries if isinstance(entries, list) else []:
        where = entry.get("platform") or {}
        if where.get("os") != "unknown":
            named.append((str(entry["digest"]), f"{where.get('os')}/{where.get('architecture')}"))
    return named
