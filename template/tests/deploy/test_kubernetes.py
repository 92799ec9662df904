"""deploy/kubernetes/: each environment rendered as its deploy renders it (scripts/kubernetes.sh:
kubectl's kustomize, the digest set) and validated against the Kubernetes API's schemas
(kubernetes-validate, strict). No cluster runs here: this is validation, not a rollout."""

import json
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).parents[3]
KUBERNETES = ROOT / "deploy/kubernetes"
REF = "registry.example/team/shop@sha256:" + "ab" * 32
VERSION = kubernetes_validate.latest_version()


def render(env, ref=REF):
    """What the deploy applies (scripts/kubernetes.sh): the overlay with the digest set."""
    out = subprocess.run([str(ROOT / "scripts/kubernetes.sh"), env, ref], check=True,
                         capture_output=True, text=True).stdout
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
    assert sorted(kinds) == ["Deployment", "PodDisruptionBudget", "Service"]
    assert {doc["metadata"]["namespace"] for doc in documents} == {env}

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
    assert set(dockerfile("VOLUME")) | {"/tmp"} == mounts
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
                          text=True)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(message)
