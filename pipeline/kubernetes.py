"""The deploy stage on Kubernetes: deploy/kubernetes/<environment>, rendered with kubectl's
kustomize, the digest set; the environment's settings a ConfigMap and its secrets a Secret, both
named for their content (a change rolls the pods), the Secret mounted where the image's entry point
exports it; each Procfile worker a Deployment made from the web one, and the release a Job the
deploy runs to its end before it applies the rest. A rollout that does not finish is undone."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline import PipelineError, cli, deploy, env, procfile

OVERLAYS = Path("deploy/kubernetes")
WEB = procfile.WEB
SETTINGS = "app-env"
SECRETS = "app-secrets"
# The registry credentials for a private image, when the deploy has a lasting token: kubelet
# pulls with them whenever a pod starts, long after the deploy (a job's token has expired).
PULL = "app-registry"
COMPONENT = "app.kubernetes.io/component"
TAIL = 20


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> str:
    return cli("kubectl", *args, stdin=stdin, check=check).stdout


def render(root: Path, environment: str, ref: str,
           environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every object the deploy applies, in order: settings and secrets, the release Job, the
    Deployments, the rest."""
    import yaml  # the dev tools': make deploy runs with them

    overlay = root / OVERLAYS / environment
    if not (overlay / "kustomization.yaml").is_file():
        raise PipelineError(f"ENV={environment}: expected staging or production")
    repo, digest = deploy.split(ref)
    settings = env.settings(root, environment)
    values = env.values(root, environ)
    processes = procfile.read(root)
    # The generated objects live where the overlay puts the rest, or nothing finds them.
    namespace = yaml.safe_load((overlay / "kustomization.yaml").read_text()).get("namespace")
    generated = {"namespace": namespace} if namespace else {}
    with tempfile.TemporaryDirectory() as folder:
        # A kustomization of its own, beside none of the repository's files (which stay
        # untouched); JSON, which kustomize reads as YAML.
        (Path(folder) / "kustomization.yaml").write_text(json.dumps({
            "resources": [os.path.relpath(overlay.resolve(), folder)],
            "images": [{"name": "app", "newName": repo, "digest": digest}],
            "configMapGenerator": [{"name": SETTINGS, **generated, "literals": [
                f"{key}={value}" for key, value in settings.items()]}],
            "secretGenerator": [{"name": SECRETS, **generated, "literals": [
                f"{key}={value}" for key, value in values.items()]},
                *pull(repo, environ, generated)],
        }))
        documents = [d for d in yaml.safe_load_all(kubectl("kustomize", folder)) if d]
    web = next(d for d in documents if d["kind"] == "Deployment" and
               d["metadata"]["name"] == WEB)
    if any(d["kind"] == "Secret" and d["metadata"]["name"] == PULL for d in documents):
        web["spec"]["template"]["spec"]["imagePullSecrets"] = [{"name": PULL}]
    made = [process(web, worker, "Deployment") for worker in processes.workers]
    if processes.release:
        made.append(process(web, processes.release, "Job", digest))
    return sorted(documents + made, key=order)


def pull(repo: str, environ: Mapping[str, str],
         generated: dict[str, str]) -> list[dict[str, Any]]:
    """A docker-registry Secret from REGISTRY_TOKEN (and REGISTRY_USER), if the deploy has one."""
    token = environ.get("REGISTRY_TOKEN", "")
    if not token:
        return []
    user = environ.get("REGISTRY_USER") or "token"
    host = repo.split("/", 1)[0]
    auth = base64.b64encode(f"{user}:{token}".encode()).decode()
    config = json.dumps({"auths": {host: {"username": user, "password": token, "auth": auth}}})
    return [{"name": PULL, **generated, "type": "kubernetes.io/dockerconfigjson",
             "options": {"disableNameSuffixHash": True},
             "literals": [f".dockerconfigjson={config}"]}]


def order(document: dict[str, Any]) -> int:
    kinds = ["Namespace", "ConfigMap", "Secret", "Job", "Deployment"]
    return kinds.index(document["kind"]) if document["kind"] in kinds else len(kinds)


def process(web: dict[str, Any], command: procfile.Process, kind: str,
            digest: str = "") -> dict[str, Any]:
    """A Deployment (a worker) or a Job (the release) running `command` in the web pod's image,
    settings, secrets, volumes and limits, without its port and probes."""
    pod = copy.deepcopy(web["spec"]["template"])
    labels = {**pod["metadata"]["labels"], COMPONENT: command.name}
    pod["metadata"]["labels"] = labels
    [container] = pod["spec"]["containers"]
    container["name"] = command.name
    container["args"] = command.argv  # args, not command: the image's entry point stays
    for web_only in ("ports", "startupProbe", "readinessProbe", "livenessProbe", "lifecycle"):
        container.pop(web_only, None)
    metadata = {"name": f"{WEB}-{command.name}", "namespace": web["metadata"]["namespace"],
                "labels": {**web["metadata"].get("labels", {}), COMPONENT: command.name}}
    if kind == "Job":
        pod["spec"]["restartPolicy"] = "Never"
        metadata["name"] = f"{WEB}-{command.name}-{digest.removeprefix('sha256:')[:12]}"
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": {
            "backoffLimit": 0, "activeDeadlineSeconds": 600,
            "ttlSecondsAfterFinished": 86400, "template": pod}}
    spec = copy.deepcopy(web["spec"])
    spec.update(replicas=1, template=pod, selector={"matchLabels": {
        **web["spec"]["selector"]["matchLabels"], COMPONENT: command.name}})
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def dump(documents: list[dict[str, Any]]) -> str:
    import yaml

    return yaml.safe_dump_all(documents, sort_keys=False)


def apply(documents: list[dict[str, Any]]) -> None:
    if documents:
        kubectl("apply", "--server-side", "--field-manager=deploy", "-f", "-",
                stdin=dump(documents))


def release(job: dict[str, Any], timeout: float = 660) -> None:
    """Runs the release Job to its end; its failure raises with its last lines."""
    name, namespace = job["metadata"]["name"], job["metadata"]["namespace"]
    apply([job])
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = json.loads(kubectl("get", "job", name, "-n", namespace, "-o", "json"))["status"]
        if status.get("succeeded"):
            return
        if status.get("failed"):
            break
        time.sleep(1)
    logs = kubectl("logs", f"job/{name}", "-n", namespace, f"--tail={TAIL}", check=False)
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
    why = "failed" if status.get("failed") else f"did not finish in {timeout:.0f} s"
    raise PipelineError(f"the release command ({command}) {why}: nothing was deployed, the "
                        f"previous version still serves\n{logs.strip()}")


def main(root: Path, environment: str, ref: str, environ: Mapping[str, str]) -> str:
    """Deploys and says what ran before."""
    documents = render(root, environment, ref, environ)
    deployments = [d for d in documents if d["kind"] == "Deployment"]
    namespace = deployments[0]["metadata"]["namespace"]
    image = "jsonpath={.spec.template.spec.containers[0].image}"
    previous = kubectl("get", "deployment", WEB, "-n", namespace, "-o", image, check=False)
    apply([d for d in documents if d["kind"] in ("Namespace", "ConfigMap", "Secret")])
    for job in [d for d in documents if d["kind"] == "Job"]:
        release(job)
    apply([d for d in documents if d["kind"] not in ("Namespace", "ConfigMap", "Secret", "Job")])
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        done = subprocess.run([os.environ.get("KUBECTL", "kubectl"), "rollout", "status",
                               f"deployment/{name}", "-n", namespace, "--timeout=10m"])
        if done.returncode != 0:
            for undone in deployments if previous else []:
                kubectl("rollout", "undo", f"deployment/{undone['metadata']['name']}", "-n",
                        namespace, check=False)
            raise PipelineError(f"the rollout of {ref} to {environment} did not finish: rolled "
                                f"back to {previous or 'nothing'}")
    return f"before: {previous or 'nothing'}"
