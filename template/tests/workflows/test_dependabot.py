"""Dependabot can read, and so bump, the base image: each FROM line of the Dockerfile either names
an earlier stage or parses, with Dependabot's own pattern, into an image with a tag and a digest.

`FROM ${PYTHON_IMAGE}` did not (dependabot-core#2057): the pattern needs a literal image name, so
the `docker` entry of .github/dependabot.yml did nothing.

And its pip entry groups the image's pins apart from the tools' without naming a package, so it
holds for any app's dependencies.
"""

import re
from pathlib import Path

import pytest
import yaml

from pipeline import locks

ROOT = Path(__file__).parents[3]

# Ported from dependabot-core at 54c10285aafe229d2e8e2708c1c716d6a0a534f8 (2026-08-22):
# docker/lib/dependabot/shared/shared_file_parser.rb (DOMAIN_COMPONENT .. NAME) and
# docker/lib/dependabot/docker/file_parser.rb (FROM, PLATFORM, TAG, DIGEST, FROM_LINE), the
# docker updater's parser. Ruby's [[:alnum:]] and \w are ASCII here (re.ASCII). Ruby interpolates
# each sub-pattern as a group with its own flags, so a `?` after one applies to all of it and
# only FROM ignores case ("AS" does not); FROM_LINE's /x only drops the layout whitespace.
DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
DOMAIN = rf"(?:{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})+)"
REGISTRY = rf"(?P<registry>{DOMAIN}(?::\d+)?)"
NAME_COMPONENT = r"(?:[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)"
IMAGE = rf"(?P<image>{NAME_COMPONENT}(?:/{NAME_COMPONENT})*)"
NAME = r"(?:\s+AS\s+(?P<name>[\w-]+))"
FROM = r"(?i:FROM)"
PLATFORM = r"(?:--platform\=(?P<platform>\S+))"
TAG_NO_PREFIX = r"(?P<tag>[\w][\w.-]{0,127})"
TAG = rf"(?::{TAG_NO_PREFIX})"
DIGEST = r"(?P<digest>[0-9a-f]{64})"
FROM_LINE = re.compile(
    rf"^{FROM}\s+({PLATFORM}\s+)?({REGISTRY}/)?{IMAGE}{TAG}?(?:@sha256:{DIGEST})?{NAME}?",
    re.ASCII)
# docker/lib/dependabot/docker/file_fetcher.rb: the files the docker updater reads.
DOCKER_REGEXP = re.compile(r"dockerfile|containerfile", re.I)

THE_BASE = ("FROM python:3.13-slim@sha256:"
            "70729b46c69b4f1e97c4822c1af3df53a1476cf5ddc6c087c0c10bc3a5678c2f AS base")


def dependency(line):
    """What Dependabot's parse makes of a line: None, or (image, tag, digest, the reference as
    far as it read it).
    Like FileParser#parse, a line that matches without a tag or a digest is no dependency."""
    match = FROM_LINE.match(line)
    if not match or not (match["tag"] or match["digest"]):
        return None
    start = match.start("registry") if match["registry"] else match.start("image")
    end = max(match.end(group) for group in ("image", "tag", "digest") if match[group])
    return match["image"], match["tag"], match["digest"], line[start:end]


@pytest.mark.parametrize(("line", "expected"), [
    ("FROM ${PYTHON_IMAGE} AS builder", None),  # dependabot-core#2057
    ("FROM builder AS test", None),  # a stage: matches, but no version to bump
    ("FROM python AS base", None),
    (THE_BASE, ("python", "3.13-slim", THE_BASE.split("@sha256:")[1].split()[0])),
    ("from --platform=$BUILDPLATFORM docker.io/library/python:3.13-slim AS b",
     ("library/python", "3.13-slim", None)),
    ("FROM python@sha256:" + "ab" * 32, ("python", None, "ab" * 32)),
])
def test_the_port_reads_lines_as_dependabot_does(line, expected):
    found = dependency(line)
    assert (found[:3] if found else None) == expected


def test_an_uppercase_digest_is_silently_dropped():
    """Why the Dockerfile check compares the whole reference: the pattern has no end anchor, so
    a digest it cannot read is not an error, just a pin Dependabot will never move."""
    image, tag, digest, read = dependency(THE_BASE.replace("70729b46", "70729B46"))
    assert (image, tag, digest) == ("python", "3.13-slim", None)
    assert "@" not in read


def from_lines(text):
    return [line.strip() for line in text.splitlines() if re.match(r"^\s*FROM\s", line, re.I)]


def unreadable(text):
    """FROM lines Dependabot cannot bump: not an earlier stage, and not parsed, whole, into an
    image with both a tag (what it compares) and a digest (what pins the build)."""
    stages, bad = set(), []
    for line in from_lines(text):
        words = line.split()
        reference = words[2] if words[1].startswith("--platform=") else words[1]
        name = re.search(r"\s+AS\s+([\w-]+)", line, re.I)
        if reference in stages:
            pass
        elif (found := dependency(line)) is None:
            bad.append(f"{line}: Dependabot reads no image with a version here")
        elif not (found[1] and found[2]):
            bad.append(f"{line}: not pinned by both tag and digest")
        elif found[3] != reference:
            bad.append(f"{line}: Dependabot reads only {found[3]!r} of {reference}")
        if name:
            stages.add(name[1])
    return bad


def test_the_check_catches_what_dependabot_cannot_read():
    assert unreadable(f"{THE_BASE}\nFROM base AS builder\nFROM base AS runtime\n") == []
    assert unreadable("ARG PYTHON_IMAGE=python:3.13-slim\nFROM ${PYTHON_IMAGE} AS builder\n")
    assert unreadable("FROM python:3.13-slim AS base\n") == [
        "FROM python:3.13-slim AS base: not pinned by both tag and digest"]
    assert "not pinned" in unreadable(THE_BASE.replace("70729b46", "70729B46"))[0]
    assert "reads only" in unreadable(THE_BASE.replace(" AS base", "0 AS base"))[0]


def test_dependabot_can_bump_every_from_line_of_the_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert unreadable(text) == []
    pinned = [dependency(line) for line in from_lines(text) if dependency(line)]
    python = (ROOT / ".python-version").read_text().strip()
    assert [(image, tag.split("-")[0]) for image, tag, _, _ in pinned] == [("python", python)]


def test_dependabots_docker_entry_reads_the_dockerfile():
    config = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())
    docker = [u for u in config["updates"] if u["package-ecosystem"] == "docker"]
    assert len(docker) == 1
    folder = ROOT / docker[0]["directory"].lstrip("/")
    assert [p.name for p in folder.iterdir() if p.is_file() and DOCKER_REGEXP.search(p.name)
            and not p.name.startswith(".")] == ["Dockerfile"]


def test_dependabot_proposes_no_other_python_minor_than_python_version():
    """A 3.14 proposal would be red (the FROM tag must match .python-version) and crowd out the
    digest refreshes of 3.13: minor and major updates of the base are ignored, patches and
    digests are not."""
    config = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())
    (docker,) = [u for u in config["updates"] if u["package-ecosystem"] == "docker"]
    ignored = {rule["dependency-name"]: set(rule.get("update-types", ["all"]))
               for rule in docker.get("ignore", [])}
    assert ignored == {"python": {"version-update:semver-major", "version-update:semver-minor"}}


# Ported from dependabot-core at 15ebe5ee49cb4d1aeb5ced065e1b64496c95b5b1:
# python/lib/dependabot/python/file_parser.rb (group_from_filename: a requirement is in
# "dev-dependencies" when its file's path holds "dev") and python/lib/dependabot/python.rb (pip's
# production check: production when any of its files gives it one of these groups). A pip-compile
# lock's pins are no file's requirements (pip_compile_file_matcher.rb): version updates move the
# .in files' requirements, and a lock's other pins follow them.
def dependabot_groups(path):
    return ["dev-dependencies"] if "dev" in path else ["dependencies"]


def production(groups):
    return not groups or bool({"default", "install_requires", "dependencies"} & set(groups))


def dependency_types(sources):
    """Each requirement of the .in files, as Dependabot types it: production or development."""
    groups = {}
    for source in sources:
        for name in locks.requirements(source):
            groups.setdefault(name, []).extend(dependabot_groups(source.name))
    return {name: "production" if production(found) else "development"
            for name, found in groups.items()}


def test_the_port_types_a_requirement_by_the_files_that_hold_it(tmp_path):
    (tmp_path / "requirements.in").write_text("flask\n")
    (tmp_path / "requirements-dev.in").write_text("-c requirements.txt\nflask\npytest\n")
    assert dependency_types([tmp_path / "requirements.in", tmp_path / "requirements-dev.in"]) \
        == {"flask": "production", "pytest": "development"}


def test_dependabot_groups_the_images_requirements_apart_from_the_tools_naming_none():
    config = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())
    (pip,) = [u for u in config["updates"] if u["package-ecosystem"] == "pip"]
    # Dependabot puts a dependency in the first group that matches it.
    rules = list(pip["groups"].items())
    assert all(set(group) == {"dependency-type"} for _, group in rules), rules

    def group(kind):
        return next(name for name, rule in rules if rule["dependency-type"] == kind)

    folder = ROOT / pip["directory"].lstrip("/")
    typed = dependency_types([folder / source for source in locks.SOURCES])
    runtime = set(locks.requirements(folder / "requirements.in"))
    build = set(locks.requirements(folder / "requirements-build.in"))
    assert runtime and build
    image = {name for name, kind in typed.items() if group(kind) == "image"}
    tools = {name for name, kind in typed.items() if group(kind) == "tools"}
    assert image == runtime | build  # the app's own dependencies and uv: what builds the image
    assert tools == set(typed) - image and "pytest" in tools
