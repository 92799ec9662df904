"""The deploy stage on Docker Swarm: deploy/stack.yaml with the environment's settings (env/), its
secrets as Swarm secrets (files, never in the service's spec), the Procfile's release run once as
a job before any task is replaced, and its other processes as services of the stack beside the
web one. Swarm rolls the update out, new task before old, and rolls back by itself when a new task
does not turn healthy; this says so, naming the cause."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import PipelineError, docker, env, procfile

STACK_FILE = Path("deploy/stack.yaml")
WEB = procfile.WEB
VOLUME = "instance"
NAMESPACE = "com.docker.stack.namespace"
# Each environment's port on a node, so staging and production of one app share a host by default.
PORTS = {"production": 8080, "staging": 8081}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::(?P<kind>[-?])(?P<default>[^}]*))?\}")
# The release job's last lines shown when it fails.
TAIL = 20


@dataclass(frozen=True)
class Plan:
    """What one deploy runs: the digest, the stack, and the app's environment."""

    ref: str
    environment: str
    stack: str
    settings: dict[str, str]
    secrets: dict[str, str]  # name -> value
    processes: procfile.Processes
    port: int = 0  # the node's port the web service listens on

    @property
    def variables(self) -> dict[str, str]:
        """What deploy/stack.yaml's ${...} read, beside the caller's environment."""
        return {"IMAGE_REF": self.ref, "DEPLOY_PORT": str(self.port)}

    def secret_name(self, key: str) -> str:
        """Swarm secrets cannot change: a new value is a new secret, named for its content (and
        within Swarm's 64 characters, the hash kept whole)."""
        content = f"{self.stack}\0{key}\0{self.secrets[key]}".encode()
        digest = hashlib.sha256(content).hexdigest()[:12]
        return f"{f'{self.stack}_{key}'[:51]}_{digest}"


def plan(root: Path, ref: str, environment: str, stack: str,
         environ: Mapping[str, str]) -> Plan:
    """Reads everything the deploy needs, and refuses before anything changes."""
    raw = environ.get("DEPLOY_PORT", "").strip() or str(PORTS.get(environment, 8080))
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise PipelineError(f"DEPLOY_PORT={raw!r}: expected a port, 1..65535")
    return Plan(ref, environment, stack, env.settings(root, environment),
                env.values(root, environ), procfile.read(root), int(raw))


def user(ref: str) -> tuple[str, str]:
    """The image's user and group ids, which own the secret files."""
    found = docker("image", "inspect", "-f", "{{.Config.User}}", ref, check=False).stdout.strip()
    uid, _, gid = (found or "0").partition(":")
    return uid, gid or uid


def render(base: dict[str, Any], chosen: Plan, owner: tuple[str, str]) -> dict[str, Any]:
    """The stack file deployed: the web service with the settings and secrets, and a service for
    each worker, made from it (same image, settings, secrets, volumes and limits)."""
    stack: dict[str, Any] = json.loads(json.dumps(base))
    web = stack["services"][WEB]
    web["environment"] = {**chosen.settings, **(web.get("environment") or {})}
    if chosen.secrets:
        stack["secrets"] = {key: {"external": True, "name": chosen.secret_name(key)}
                            for key in chosen.secrets}
        web["secrets"] = [{"source": key, "target": key, "uid": owner[0], "gid": owner[1],
                           "mode": 0o400} for key in chosen.secrets]
    for worker in chosen.processes.workers:
        service = json.loads(json.dumps(web))
        service["command"] = worker.argv
        service["healthcheck"] = {"disable": True}  # the image's checks the web server
        service["deploy"]["replicas"] = 1
        stack["services"][worker.name] = service
    return stack


def exists(kind: str, name: str) -> bool:
    return docker(kind, "inspect", name, check=False).returncode == 0


def create_secrets(chosen: Plan) -> None:
    for key, value in chosen.secrets.items():
        name = chosen.secret_name(key)
        if exists("secret", name):
            continue
        docker("secret", "create", "--label", f"{NAMESPACE}={chosen.stack}", name, "-",
               stdin=value)


def prune_secrets(chosen: Plan) -> None:
    """The stack's secrets no service uses any more (earlier values) go; those in use stay."""
    keep = {chosen.secret_name(key) for key in chosen.secrets}
    listed = docker("secret", "ls", "--filter", f"label={NAMESPACE}={chosen.stack}", "--format",
                    "{{.Name}}").stdout.split()
    stale = [name for name in listed if name not in keep]
    if stale:
        docker("secret", "rm", *stale, check=False)  # in use by a rolled-back task: kept


def release(chosen: Plan, web: dict[str, Any], owner: tuple[str, str]) -> str:
    """The Procfile's release, once, as a Swarm job with the new image and the web service's
    settings, secrets, volumes and network; its failure raises with its last lines."""
    command = chosen.processes.release
    if command is None:
        return ""
    name = f"{chosen.stack}_release"
    docker("service", "rm", name, check=False)  # a job an interrupted deploy left
    args = ["service", "create", "--mode", "replicated-job", "--name", name, "--detach",
            "--restart-condition", "none", "--with-registry-auth", "--no-healthcheck",
            "--label", f"{NAMESPACE}={chosen.stack}", "--read-only",
            "--mount", "type=tmpfs,destination=/tmp"]
    for volume in web.get("volumes") or []:
        source, _, target = volume.partition(":")
        args += ["--mount", f"type=volume,source={chosen.stack}_{source},destination={target}"]
    for network in web.get("networks") or []:
        args += ["--network", network]
    for key, value in (web.get("environment") or {}).items():
        args += ["--env", f"{key}={value}"]
    for key in chosen.secrets:
        args += ["--secret", f"source={chosen.secret_name(key)},target={key},uid={owner[0]},"
                 f"gid={owner[1]},mode=0400"]
    docker(*args, chosen.ref, *command.argv)
    try:
        state, code, error = wait(name)
        if state != "complete":
            said = docker("service", "logs", "--raw", "--tail", str(TAIL), name, check=False)
            tail = (said.stdout + said.stderr).strip()
            why = f"exited {code}" if code else (error or state)
            raise PipelineError(f"the release command ({command.command}) {why}: nothing was "
                                f"deployed, the previous version still serves\n{tail}")
    finally:
        docker("service", "rm", name, check=False)
    return command.command


def wait(name: str, timeout: float = 600) -> tuple[str, int, str]:
    """The job's task's final state, exit code and error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = docker("service", "ps", "-q", "--no-trunc", name, check=False).stdout.split()
        if ids:
            task = json.loads(docker("inspect", ids[0]).stdout)[0]["Status"]
            if task["State"] in ("complete", "failed", "rejected", "shutdown", "orphaned"):
                code = (task.get("ContainerStatus") or {}).get("ExitCode", 0)
                return task["State"], int(code), task.get("Err", "")
        time.sleep(0.5)
    return "timed out", 0, f"not finished in {timeout:.0f} s"


def service(name: str, field: str) -> str:
    return docker("service", "inspect", "-f", field, name, check=False).stdout.strip()


# Read on the node, through the engine, in one container: the kernel's setting, and whether
# anything listens on the port (a plain bind, which any listener refuses).
NODE = """
import socket
setting = open("/proc/sys/net/ipv4/tcp_migrate_req").read().strip()
probe = socket.socket()
try:
    probe.bind(("0.0.0.0", {port}))
    held = "free"
except OSError:
    held = "held"
print(setting, held)
"""


def node(chosen: Plan) -> None:
    """Refuses a node that would reset queued requests, and a port another stack or process
    holds; this stack's own port is its to keep."""
    read = docker("run", "--rm", "--quiet", "--network", "host", "--entrypoint", "python",
                  chosen.ref, "-c", NODE.format(port=chosen.port), check=False)
    said = read.stdout.split() if read.returncode == 0 else \
        ["? " + ((read.stderr.strip().splitlines() or [""])[-1]), "?"]
    if said[0] != "1":
        raise PipelineError("the deploy host would reset queued requests during an update: run "
                            "sysctl -w net.ipv4.tcp_migrate_req=1 on it (and keep it in "
                            f"/etc/sysctl.d/); it reads {said[0]}")
    holders = ports().get(chosen.port, [])
    others = [stack for stack in holders if stack != chosen.stack]
    if others:
        raise PipelineError(f"port {chosen.port} is stack {others[0]}'s: give {chosen.environment} "
                            "another DEPLOY_PORT, or remove that stack")
    if said[1] != "free" and chosen.stack not in holders:
        raise PipelineError(f"port {chosen.port} is held on the node by another process: stop "
                            f"it, or give {chosen.environment} another DEPLOY_PORT")


def ports() -> dict[int, list[str]]:
    """The stacks whose services listen on a node's port (SHARE_PORT=1, as deploy/stack.yaml's
    do), by port."""
    ids = docker("service", "ls", "-q", "--filter", f"label={NAMESPACE}").stdout.split()
    found: dict[int, list[str]] = {}
    for spec in json.loads(docker("service", "inspect", *ids).stdout) if ids else []:
        stack = spec["Spec"].get("Labels", {}).get(NAMESPACE, "")
        variables = dict(v.partition("=")[::2] for v in
                         spec["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env") or [])
        port = variables.get("PORT", "")
        if variables.get("SHARE_PORT") == "1" and port.isdigit() and \
                stack not in found.get(int(port), []):
            found.setdefault(int(port), []).append(stack)
    return found


def deploy(root: Path, chosen: Plan) -> str:
    """Deploys and says what ran before; a rollback or a failure raises."""
    import yaml  # the dev tools': make deploy runs with them

    base = yaml.safe_load((root / STACK_FILE).read_text())
    node(chosen)
    owner = user(chosen.ref)
    web = f"{chosen.stack}_{WEB}"
    image = "{{.Spec.TaskTemplate.ContainerSpec.Image}}"
    previous = service(web, image)
    create_secrets(chosen)
    stack = render(base, chosen, owner)
    ran = release(chosen, interpolate(stack["services"][WEB], chosen), owner)
    rendered = root / ".cache" / f"{chosen.stack}.stack.json"
    rendered.parent.mkdir(parents=True, exist_ok=True)
    rendered.write_text(json.dumps(stack, indent=2))
    deployed = docker("stack", "deploy", "--detach=false", "--quiet", "--with-registry-auth",
                      "--resolve-image", "never", "--prune", "-c", str(rendered), chosen.stack,
                      env={**os.environ, **chosen.variables}, check=False)
    # The web service and each worker: any of them rolled back is the deploy rolled back.
    for name in [WEB, *(worker.name for worker in chosen.processes.workers)]:
        update = service(f"{chosen.stack}_{name}",
                         "{{with .UpdateStatus}}{{.State}}|{{.Message}}{{end}}")
        if update.startswith("rollback"):
            which = "" if name == WEB else f" (its {name} did not stay up)"
            raise PipelineError(f"Swarm rolled {chosen.stack} back to {previous or 'nothing'}"
                                f"{which}: {update.partition('|')[2]}")
    if deployed.returncode != 0 or service(web, image) != chosen.ref:
        said = (deployed.stderr.strip() or deployed.stdout.strip()).splitlines() or [""]
        raise PipelineError(f"docker stack deploy {chosen.stack} failed: {said[-1]}")
    prune_secrets(chosen)
    return (f"release: {ran}; " if ran else "") + f"before: {previous or 'nothing'}"


def interpolate(web: dict[str, Any], chosen: Plan) -> dict[str, Any]:
    """The web service's ${NAME}, ${NAME:-default} and ${NAME:?why} as `docker stack deploy` will
    read them, for the release job (which docker service create makes, unread by the stack)."""
    known = {**os.environ, **chosen.variables}

    def value(found: re.Match[str]) -> str:
        given = known.get(found["name"], "")
        if given or found["kind"] != "-":
            return given
        return str(found["default"])

    text = VARIABLE.sub(value, json.dumps(web))
    return dict(json.loads(text))
