"""Command line for the scripts: `python -m pipeline COMMAND ...`; errors are one line, exit 1."""

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

# Only the standard library at import time: CI's image jobs run these with a bare Python.
from pipeline import PipelineError, gitref, images, registry, scan, tags


def cmd_lock_check(args):
    from pipeline import locks

    for pair in args.pairs:
        source, lock = pair.split(":")
        locks.check(source, lock)
    print("locks are fresh: " + ", ".join(pair.split(":")[1] for pair in args.pairs))


def cmd_tags(args):
    """Print the build's settings: VERSION, REVISION, CREATED, SOURCE_DATE_EPOCH, TAGS and
    IMMUTABLE, as shell assignments or as $GITHUB_ENV lines."""
    if args.ref:
        ref, sha, dirty = args.ref, args.sha or gitref.git("rev-parse", "HEAD"), args.dirty
    else:
        ref, sha, dirty = gitref.head()
    computed = tags.compute(ref, sha, dirty)
    values = {
        "VERSION": computed.version,
        "REVISION": sha + ("-dirty" if dirty else ""),
        "CREATED": gitref.commit_time(sha),
        "SOURCE_DATE_EPOCH": gitref.commit_epoch(sha),
        "TAGS": " ".join(computed.tags),
        "IMMUTABLE": " ".join(computed.immutable),
    }
    quote = shlex.quote if args.format == "shell" else str
    for key, value in values.items():
        print(f"{key}={quote(value)}")


def cmd_guard(args):
    """Exit 0 printing `push` or `exists`; refuse (exit 1) an immutable tag at another digest.
    scripts/guard-release.sh looks the tag up with the Docker CLI, which holds the credentials."""
    existing = None if args.existing == "none" else args.existing
    print("exists" if registry.guard(existing, args.candidates, args.tag) else "push")


def cmd_platform_manifest(args):
    """From an index on stdin, the digest of --platform's manifest; nothing for a manifest."""
    digest = images.platform_manifest(json.load(sys.stdin), args.platform)
    if digest:
        print(digest)


def cmd_same_image(args):
    """`docker image inspect` of the scanned image against the pushed image's config."""
    images.same_image(json.loads(Path(args.scanned).read_text()),
                      json.loads(Path(args.pushed).read_text()))
    print("the pushed image is the scanned image: same layers, same run-time configuration")


def cmd_debian(args):
    """What scripts/engine.sh and stand-in-base.sh read from the machine's own apt sources."""
    from pipeline import debian

    entry = debian.own(debian.read(), args.codename or debian.codename())
    print({"source": debian.source(entry), "pin": debian.pin(), "mirror": entry.uris[0],
           "suite": debian.SUITE}[args.what], end="" if args.what in ("source", "pin") else "\n")


def cmd_base_args(args):
    """The base image's override, one argument per line (none without PYTHON_IMAGE); with
    --image, the one image a container of the base runs."""
    from pipeline import base

    for arg in [base.image()] if args.image else base.args():
        print(arg)


def cmd_ping(args):
    registry.ping(args.registry)


def cmd_verdict(args):
    report = Path(args.report).read_text() if Path(args.report).exists() else ""
    stderr = Path(args.stderr).read_text() if args.stderr and Path(args.stderr).exists() else ""
    result = scan.verdict(args.exit_code, report, stderr)
    print(f"scan {result.status}: {result.message}")
    return result.exit_code


def cmd_ignores(args):
    path = Path(args.file)
    for entry in scan.check_ignores(path.read_text()) if path.exists() else []:
        print(f"note: accepted risk {entry} in {path} no longer applies", file=sys.stderr)


def cmd_summary(args):
    report = Path(args.report).read_text() if Path(args.report).exists() else "{}"
    counts = scan.verdict(0, report).counts
    vulns = ", ".join(f"{counts[s]} {s}" for s in scan.SEVERITIES if counts[s]) or "none found"
    rows = [
        ("image", args.image),
        ("digest", args.digest or "-"),
        ("size", f"{int(args.size) / 1e6:.1f} MB"),
        ("vulnerabilities", vulns + " (fixable HIGH/CRITICAL gate)"),
        ("tags pushed", args.tags or "none"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'':{width}} | result |\n|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name:{width}} | {value} |")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(required=True)

    p = sub.add_parser("lock-check", help="fail, naming `make lock`, when a lock is stale")
    p.add_argument("pairs", nargs="+", metavar="IN:TXT")
    p.set_defaults(func=cmd_lock_check)

    p = sub.add_parser("tags", help="tags and build args for a ref (default: HEAD)")
    p.add_argument("--ref", default=os.environ.get("REF") or None)
    p.add_argument("--sha", default=os.environ.get("SHA") or None)
    p.add_argument("--dirty", action="store_true")
    p.add_argument("--format", choices=["shell", "github"], default="shell")
    p.set_defaults(func=cmd_tags)

    p = sub.add_parser("guard", help="refuse to overwrite a release tag")
    p.add_argument("--tag", required=True)
    p.add_argument("--existing", required=True, help="the tag's digest now, or none")
    p.add_argument("candidates", nargs="*", help="digests the image to push is known by")
    p.set_defaults(func=cmd_guard)

    p = sub.add_parser("platform-manifest", help="a platform's manifest in an index (stdin)")
    p.add_argument("--platform", required=True)
    p.set_defaults(func=cmd_platform_manifest)

    p = sub.add_parser("same-image", help="refuse unless the pushed image is the scanned one")
    p.add_argument("scanned", help="`docker image inspect` of the scanned image (JSON)")
    p.add_argument("pushed", help="the pushed image's config (JSON)")
    p.set_defaults(func=cmd_same_image)

    p = sub.add_parser("debian", help="apt source, pin or mirror, read from the machine's own")
    p.add_argument("what", choices=["source", "pin", "mirror", "suite"])
    p.add_argument("--codename", help="the release whose entry to read (default: this machine's)")
    p.set_defaults(func=cmd_debian)

    p = sub.add_parser("base-args", help="buildx arguments replacing the base with $PYTHON_IMAGE")
    p.add_argument("--image", action="store_true", help="print the base image itself")
    p.set_defaults(func=cmd_base_args)

    p = sub.add_parser("ping", help="is the registry answering?")
    p.add_argument("--registry", required=True)
    p.set_defaults(func=cmd_ping)

    p = sub.add_parser("verdict", help="passed, failed or broken, from Trivy's exit code")
    p.add_argument("--exit-code", type=int, required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--stderr")
    p.set_defaults(func=cmd_verdict)

    p = sub.add_parser("ignores", help="check .trivyignore.yaml: a reason and expiry per entry")
    p.add_argument("file")
    p.set_defaults(func=cmd_ignores)

    p = sub.add_parser("summary", help="the table that ends a pipeline run")
    for name in ("image", "digest", "size", "report", "tags"):
        p.add_argument(f"--{name}", default="")
    p.set_defaults(func=cmd_summary)

    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
