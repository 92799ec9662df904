"""Command line for the scripts: `python -m pipeline COMMAND ...`; errors are one line, exit 1."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

# Only the standard library at import time: CI's image jobs run these with a bare Python.
from pipeline import PipelineError, registry, scan


def cmd_lock_check(args: argparse.Namespace) -> None:
    from pipeline import locks

    pairs = args.pairs or [f"{source}:{source.removesuffix('.in')}.txt"
                           for source in locks.SOURCES]
    for pair in pairs:
        source, lock = pair.split(":")
        locks.check(source, lock)
    print("locks are fresh: " + ", ".join(pair.split(":")[1] for pair in pairs))


def cmd_tags(args: argparse.Namespace) -> None:
    """Print the build's settings: VERSION, REVISION, CREATED, SOURCE_DATE_EPOCH, TAGS and
    IMMUTABLE, as shell assignments or as $GITHUB_ENV lines: what `make build` builds with."""
    from pipeline import build

    record = build.settings("", args.ref or "", args.sha or "", args.dirty)
    made = build.build_args(record, record.revision.removesuffix("-dirty"), "")
    values = {key: made[key] for key in ("VERSION", "REVISION", "CREATED", "SOURCE_DATE_EPOCH")}
    values |= {"TAGS": " ".join(record.tags), "IMMUTABLE": " ".join(record.immutable)}
    quote = shlex.quote if args.format == "shell" else str
    for key, value in values.items():
        print(f"{key}={quote(value)}")


def cmd_build(args: argparse.Namespace) -> None:
    """Build one platform or several, one after another (each is one CI matrix job)."""
    from pipeline import build

    for platform in args.platform.split(","):
        record = build.main(args.image, platform, args.push, Path(args.artifacts),
                            args.cache_from, args.cache_to, args.extra)
        built = record.platform(platform)
        print(f"built {platform}: {built.ref} (config {built.config[:19]})")


def cmd_record(args: argparse.Namespace) -> None:
    """What smoke and scan run (`refs`), and what they passed (`passed STAGE PLATFORM`)."""
    from pipeline import run

    path = Path(args.artifacts) / "run.json"
    record = run.load(path)
    if args.action == "refs":
        for platform in record.platforms:
            print(platform.platform, platform.ref)
    else:
        record.passed(args.stage, args.on)
        record.save(path)


def cmd_publish(args: argparse.Namespace) -> None:
    from pipeline import publish

    out = Path(args.artifacts) / "published.json"
    chosen = publish.main([Path(r) for r in args.records], out)
    done = json.loads(out.read_text())
    if chosen.noop:
        print(f"release already published at {done['digest']} with these images: nothing to do")
    else:
        print(f"published {done['image']}@{done['digest']} as {' '.join(chosen.tags)}")
    for tag in chosen.kept:
        print(f"left {tag} where it is: it holds a newer commit's image")
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a") as output:
            output.write(f"digest={done['digest']}\n")
            output.write(f"manifests={' '.join(done['manifests'].values())}\n")


def cmd_digests(args: argparse.Namespace) -> None:
    from pipeline import publish

    for digest, platform in publish.digests(args.ref):
        print(digest, platform)


def cmd_attestations(args: argparse.Namespace) -> None:
    """cosign verify-attestation's output (stdin), one line per attestation."""
    from pipeline import attestation

    for line in attestation.summary(sys.stdin.read()):
        print(line)


def cmd_locks(args: argparse.Namespace) -> None:
    """The .in file of every lock, one per line (what `make lock` compiles)."""
    from pipeline import locks

    print("\n".join(locks.SOURCES))


def cmd_base_args(args: argparse.Namespace) -> None:
    """The base image's override, one argument per line (none without PYTHON_IMAGE); with
    --image, the one image a container of the base runs."""
    from pipeline import base

    for arg in [base.image()] if args.image else base.args():
        print(arg)


def cmd_ping(args: argparse.Namespace) -> None:
    """Is the registry answering? With --plain-http: does it speak plain HTTP (exit 0) or not."""
    if args.plain_http:
        sys.exit(0 if registry.local(args.registry) else 3)
    registry.ping(args.registry)


def cmd_verdict(args: argparse.Namespace) -> int:
    report = Path(args.report).read_text() if Path(args.report).exists() else ""
    stderr = Path(args.stderr).read_text() if args.stderr and Path(args.stderr).exists() else ""
    result = scan.verdict(args.exit_code, report, stderr)
    print(f"scan {result.status}: {result.message}")
    return result.exit_code


def cmd_ignores(args: argparse.Namespace) -> None:
    path = Path(args.file)
    for entry in scan.check_ignores(path.read_text()) if path.exists() else []:
        print(f"note: accepted risk {entry} in {path} no longer applies", file=sys.stderr)


def cmd_summary(args: argparse.Namespace) -> None:
    """The run's table (pipeline/summary.py): the same code for `make pipeline` and CI."""
    from pipeline import summary

    print(summary.render(summary.from_args(
        args.image, args.platform, args.stage, args.report, args.published, args.record)))


def cmd_ci_settings(args: argparse.Namespace) -> None:
    """CI switches from repository variables and visibility, to $GITHUB_OUTPUT (pipeline/ci.py)."""
    from pipeline import ci

    print(ci.main())


def cmd_adopt(args: argparse.Namespace) -> None:
    from pipeline import adopt, base

    app = args.app or base.app(Path("Dockerfile"))
    done = adopt.main(args.name, app)
    if not done:
        print(f"adopted already as {args.name}, serving {app}: nothing to change")
        return
    print("\n".join(done))
    print(f"""
adopted: the image is {args.name} (Makefile, IMAGE), it serves {app} (Dockerfile, ARG APP).
Next:
  1. requirements.in: your app's dependencies (keep gunicorn), then make lock && make test
  2. env/app.env: your app's settings; env/secrets: its secrets' names; Procfile: its release
     (migrations) and workers, if any
  3. smoke.txt: requests the running image must answer
  4. make check && make pipeline
  5. git add -A && git commit -m "Adopt the template" && git push""")


def cmd_deploy_target(args: argparse.Namespace) -> None:
    """The digest to deploy, once it is the one the environment's tag names, and the app's
    settings, secrets and Procfile read (the first missing secret refused)."""
    from pipeline import deploy, env, procfile

    root = Path(".")
    env.settings(root, args.env)
    env.values(root, os.environ)
    procfile.read(root)
    print(deploy.main(args.env, args.ref, args.version, Path(args.artifacts)).ref)


def cmd_swarm(args: argparse.Namespace) -> None:
    """Deploy a checked digest to the swarm (pipeline/swarm.py)."""
    import time

    from pipeline import swarm

    started = time.monotonic()
    chosen = swarm.plan(Path("."), args.ref, args.env, args.stack, os.environ)
    said = swarm.deploy(Path("."), chosen)
    took = time.monotonic() - started
    print(f"deployed {args.ref} to {args.env} ({args.stack}) in {took:.0f} s; {said}")


def cmd_env(args: argparse.Namespace) -> None:
    """Check the env files (make check), or print an environment's settings."""
    from pipeline import env

    root = Path(".")
    if args.check:
        print("env files hold settings, no credential: " + (", ".join(env.check(root)) or "none"))
        return
    print(env.render(env.settings(root, args.environment)), end="")


def cmd_dev(args: argparse.Namespace) -> None:
    """Writes make dev's Compose file for the Procfile and the secrets; prints its path."""
    from pipeline import dev

    print(dev.main())


def cmd_kubernetes(args: argparse.Namespace) -> None:
    """Deploy a checked digest to kubectl's cluster, or only print what it would apply."""
    import time

    from pipeline import kubernetes

    if args.render:
        print(kubernetes.dump(kubernetes.render(Path("."), args.env, args.ref, os.environ)),
              end="")
        return
    started = time.monotonic()
    said = kubernetes.main(Path("."), args.env, args.ref, os.environ)
    took = time.monotonic() - started
    print(f"deployed {args.ref} to {args.env} (kubernetes) in {took:.0f} s; {said}")


def cmd_smoke(args: argparse.Namespace) -> None:
    """The smoke stage: every platform of the run record, or only smoke.txt's requests of a
    server already running at URL."""
    from pipeline import smoke

    if args.url:
        print(", ".join(smoke.main(args.url, args.version, Path(args.requests))))
        return
    for line in smoke.stage(Path(args.artifacts)):
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(required=True)

    p = sub.add_parser("lock-check", help="fail, naming `make lock`, when a lock is stale")
    p.add_argument("pairs", nargs="*", metavar="IN:TXT", help="default: every lock of the project")
    p.set_defaults(func=cmd_lock_check)

    p = sub.add_parser("locks", help="the .in file of every lock")
    p.set_defaults(func=cmd_locks)

    p = sub.add_parser("tags", help="tags and build args for a ref (default: HEAD)")
    p.add_argument("--ref", default=os.environ.get("REF") or None)
    p.add_argument("--sha", default=os.environ.get("SHA") or None)
    p.add_argument("--dirty", action="store_true")
    p.add_argument("--format", choices=["shell", "github"], default="shell")
    p.set_defaults(func=cmd_tags)

    p = sub.add_parser("build", help="build (and on push runs, push by digest) one platform")
    p.add_argument("--image", required=True, help="registry/repository")
    p.add_argument("--platform", required=True, help="os/arch, or several comma-separated")
    p.add_argument("--push", action="store_true", help="push untagged, by digest")
    p.add_argument("--artifacts", default="artifacts")
    p.add_argument("--cache-from", default="")
    p.add_argument("--cache-to", default="")
    p.add_argument("extra", nargs="*", help="more buildx arguments (the base-image override)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("record", help="read or add to the run record")
    p.add_argument("action", choices=["refs", "passed"])
    p.add_argument("stage", nargs="?", default="")
    p.add_argument("on", nargs="?", default="", metavar="PLATFORM")
    p.add_argument("--artifacts", default="artifacts")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("publish", help="tag the digests that passed; a release never moves")
    p.add_argument("records", nargs="+",
                   help="run records (one per platform job, or one), or folders holding them")
    p.add_argument("--artifacts", default="artifacts")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("adopt", help="make this copy of the template your project")
    p.add_argument("--name", required=True, help="the image's name, e.g. my-app")
    p.add_argument("--app", default="", help="your app's package (default: the Dockerfile's)")
    p.set_defaults(func=cmd_adopt)

    p = sub.add_parser("deploy-target", help="the digest an environment may run, or a refusal")
    p.add_argument("--env", required=True, help="staging or production")
    p.add_argument("--ref", default="", help="<registry>/<repo>@sha256:... (default: published)")
    p.add_argument("--version", default="", help="production: the release tag naming REF")
    p.add_argument("--artifacts", default="artifacts")
    p.set_defaults(func=cmd_deploy_target)

    p = sub.add_parser("env", help="the app's settings for an environment (env/), or --check")
    p.add_argument("environment", nargs="?", default="", help="staging or production")
    p.add_argument("--check", action="store_true", help="refuse bad lines and credentials")
    p.set_defaults(func=cmd_env)

    p = sub.add_parser("dev", help="make dev's Compose file: the Procfile's processes, secrets")
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("swarm", help="deploy a checked digest to the swarm (scripts/deploy.sh)")
    p.add_argument("--env", required=True, help="staging or production")
    p.add_argument("--ref", required=True, help="<registry>/<repo>@sha256:...")
    p.add_argument("--stack", required=True)
    p.set_defaults(func=cmd_swarm)

    p = sub.add_parser("kubernetes", help="deploy a checked digest to kubectl's cluster")
    p.add_argument("--env", required=True, help="staging or production")
    p.add_argument("--ref", required=True, help="<registry>/<repo>@sha256:...")
    p.add_argument("--render", action="store_true", help="print what it would apply, no more")
    p.set_defaults(func=cmd_kubernetes)

    p = sub.add_parser("smoke", help="run each built image and ask it the template's and "
                       "smoke.txt's requests")
    p.add_argument("--artifacts", default="artifacts")
    p.add_argument("--url", default="", help="only ask a server already running there")
    p.add_argument("--version", default="dev", help="with --url: the version it must report")
    p.add_argument("--requests", default="smoke.txt")
    p.set_defaults(func=cmd_smoke)

    p = sub.add_parser("digests", help="a reference's digest and its platform images' digests")
    p.add_argument("ref")
    p.set_defaults(func=cmd_digests)

    p = sub.add_parser("attestations", help="verified attestations (stdin), one line each")
    p.set_defaults(func=cmd_attestations)

    p = sub.add_parser("base-args", help="buildx arguments replacing the base with $PYTHON_IMAGE")
    p.add_argument("--image", action="store_true", help="print the base image itself")
    p.set_defaults(func=cmd_base_args)

    p = sub.add_parser("ping", help="is the registry answering?")
    p.add_argument("--registry", required=True)
    p.add_argument("--plain-http", action="store_true",
                   help="exit 0 if the registry is on loopback (plain HTTP), else 3; no request")
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
    for name in ("image", "platform", "published", "record"):
        p.add_argument(f"--{name}", default="")
    p.add_argument("--report", action="append", default=[], help="Trivy JSON, one per platform")
    p.add_argument("--stage", action="append", default=[], metavar="NAME=OUTCOME")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("ci-settings", help="CI switches: platform matrix, SARIF upload, attest")
    p.set_defaults(func=cmd_ci_settings)

    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
