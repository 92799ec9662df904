"""deploy/kubernetes/: each environment rendered as its deploy renders it (scripts/kubernetes.sh:
kubectl's kustomize, the digest set) and validated against the Kubernetes API's schemas
(kubernetes-validate, strict). No cluster runs here: this is validation, not a rollout."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from pipeline.env import stand_ins

ROOT = Path(__file__).parents[3]
KUBERNETES = ROOT / "deploy/kubernetes"
REF = "registry.example/team/shop@sha256:" + "ab" * 32
VERSION = kubernetes_validate.latest_version()


def render(env, ref=REF, root=ROOT, **secrets):
    """What the deploy applies (scripts/kubernetes.sh): the overlay with the digest set, and a
    value for each secret the project lists, unless given."""
    given = {**stand_ins(root), **secrets}
    out = subprocess.run([str(root / "scripts/kubernetes.sh"), env, ref], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHON": sys.executable, **given}).stdout
    return list(yaml.safe_load_all(out))


def dockerfile(instruction):
    """The arguments of each INSTRUCTION line, its continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return re.findall(rf"^{instruction} (.+)$", text, re.M)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_each_environment_validates_against_the_kubernetes_api(env):
    documents = render(env)
    for document in documents:
        kubernetes_validate.validate(document, VERSION, strict=True)
    kinds = {doc["kind"]: doc for doc in documents}
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Namespace", "PodDisruptionBudget",
                             "Secret", "Service"]
    # A fresh cluster: the namespace comes first, and holds everything else.
    assert documents[0] == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": env}}
    assert {doc["metadata"]["namespace"] for doc in documents[1:]} == {env}

    deployment = kinds["Deployment"]
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert container["image"] == REF  # a digest, never a tag
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}

    # The image's facts, as the Dockerfile states them.
    user, group = dockerfile("USER")[0].split(":")
    security = pod["spec"]["securityContext"]
    assert (security["runAsNonRoot"], security["runAsUser"], security["runAsGroup"]) == (
        True, int(user), int(group))
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]}}
    healthcheck = json.loads(dockerfile("HEALTHCHECK")[0].split("CMD", 1)[1].strip())
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == healthcheck
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert set(dockerfile("VOLUME")) | {"/tmp", "/run/secrets"} == mounts
    assert set(container["resources"]) == {"requests", "limits"}

    # The port the server is told is the one the pod names and the Service reaches.
    [port] = container["ports"]
    assert {"name": "PORT", "value": str(port["containerPort"])} in container["env"]
    labels = pod["metadata"]["labels"]
    service, budget = kinds["Service"], kinds["PodDisruptionBudget"]
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_production_runs_more_replicas_than_staging():
    replicas = {env: next(d for d in render(env) if d["kind"] == "Deployment")["spec"]["replicas"]
                for env in ("staging", "production")}
    assert replicas["production"] > replicas["staging"] >= 2


def test_the_validation_refuses_what_the_api_would():
    deployment = next(d for d in render("production") if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)
    deployment = next(d for d in render("production") if d["kind"] == "Deployment")
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)


@pytest.mark.parametrize(("env", "ref", "message"), [
    ("dev", REF, "error: ENV=dev: expected staging or production"),
    ("staging", "registry.example/team/shop:1.0.0",
     "error: REF='registry.example/team/shop:1.0.0': deploy by digest"),
])
def test_a_wrong_environment_or_a_tag_renders_nothing(env, ref, message):
    done = subprocess.run([str(ROOT / "scripts/kubernetes.sh"), env, ref], capture_output=True,
                          text=True, env={**os.environ, "PYTHON": sys.executable})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(message)


@pytest.fixture
def project(app):
    """The app beside the overlays and what renders them."""
    for folder in ("deploy", "pipeline", "server", "scripts"):
        shutil.copytree(ROOT / folder, app / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "tests"))
    return app


def test_settings_secrets_release_and_workers_render_and_validate(project):
    """The same app as on the swarm: a ConfigMap of the environment's settings and a Secret
    mounted where the entry point exports it, the release a Job applied first, each worker a
    Deployment of its own that the Service never sends traffic to."""
    documents = render("production", root=project, SECRET_KEY="s3cr3t")
    for document in documents:
        kubernetes_validate.validate(document, VERSION, strict=True)
    kinds = [(d["kind"], d["metadata"]["name"].rsplit("-", 1)[0] if d["kind"] in (
        "ConfigMap", "Secret", "Job") else d["metadata"]["name"]) for d in documents]
    assert kinds[:6] == [("Namespace", "production"), ("ConfigMap", "app-env"),
                         ("Secret", "app-secrets"),
                         ("Job", "app-release"), ("Deployment", "app"),
                         ("Deployment", "app-worker")]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    assert config["data"] == {"LOG_TO_STDOUT": "1", "MAIL_PORT": "2525"}
    secret = next(d for d in documents if d["kind"] == "Secret")
    assert base64.b64decode(secret["data"]["SECRET_KEY"]) == b"s3cr3t"
    web = by_name[("Deployment", "app")]["spec"]["template"]["spec"]
    assert web["containers"][0]["envFrom"] == [{"configMapRef": {"name": config["metadata"]
                                                                 ["name"]}}]
    assert {"name": "secrets", "secret": {"secretName": secret["metadata"]["name"],
                                          "defaultMode": 0o440}} in web["volumes"]

    job = next(d for d in documents if d["kind"] == "Job")
    assert job["metadata"]["name"] == "app-release-" + REF.split(":")[-1][:12]
    [runs] = job["spec"]["template"]["spec"]["containers"]
    assert runs["args"] == ["flask", "db", "upgrade"] and "command" not in runs
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 0 and "readinessProbe" not in runs

    worker = by_name[("Deployment", "app-worker")]
    [works] = worker["spec"]["template"]["spec"]["containers"]
    assert works["args"] == ["rq", "worker", "tasks"] and "ports" not in works
    assert works["envFrom"] == web["containers"][0]["envFrom"] and works["image"] == REF
    labels = worker["spec"]["template"]["metadata"]["labels"]
    service = by_name[("Service", "app")]["spec"]["selector"]
    assert not service.items() <= labels.items()  # the worker gets no traffic
    assert worker["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service.items() <= by_name[("Deployment", "app")]["spec"]["template"]["metadata"][
        "labels"].items()


def test_a_new_setting_or_secret_is_a_new_name_so_the_pods_roll(project):
    def names(**secrets):
        return {d["kind"]: d["metadata"]["name"] for d in render("staging", root=project,
                                                                 **secrets)
                if d["kind"] in ("ConfigMap", "Secret")}

    first = names(SECRET_KEY="one")
    assert names(SECRET_KEY="one") == first
    assert names(SECRET_KEY="two")["Secret"] != first["Secret"]
    (project / "env/staging.env").write_text("MAIL_PORT=587\n")
    assert names(SECRET_KEY="one")["ConfigMap"] != first["ConfigMap"]


def test_a_missing_secret_renders_nothing(project):
    done = subprocess.run([str(project / "scripts/kubernetes.sh"), "staging", REF],
                          capture_output=True, text=True,
                          env={k: v for k, v in {**os.environ, "PYTHON": sys.executable}.items()
                               if k != "SECRET_KEY"})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("error: secret SECRET_KEY is not set")


def test_a_private_image_gets_a_pull_secret_from_the_registry_token(project):
    """With REGISTRY_TOKEN, every pod (web, worker, release) pulls with it; without it, none asks
    for a pull secret (a public image)."""
    documents = render("staging", root=project, SECRET_KEY="k", REGISTRY_USER="deployer",
                       REGISTRY_TOKEN="ghp_lasting")
    for document in documents:
        kubernetes_validate.validate(document, VERSION, strict=True)
    pull = next(d for d in documents if d["metadata"]["name"] == "app-registry")
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))
    assert config["auths"]["registry.example"]["auth"] == base64.b64encode(
        b"deployer:ghp_lasting").decode()
    pods = [d["spec"]["template"]["spec"] for d in documents
            if d["kind"] in ("Deployment", "Job")]
    assert len(pods) == 3 and all(p["imagePullSecrets"] == [{"name": "app-registry"}]
                                  for p in pods)
    public = render("staging", root=project, SECRET_KEY="k", REGISTRY_TOKEN="")
    assert not [d for d in public if d["metadata"]["name"] == "app-registry"]
    assert not [d for d in public if "imagePullSecrets" in d.get("spec", {}).get(
        "template", {}).get("spec", {})]
