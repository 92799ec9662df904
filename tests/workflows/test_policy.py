"""The workflows follow the rules in policy.py, and each rule catches a deliberately broken copy."""

import copy
from pathlib import Path

import pytest

from pipeline.scan import FOUND_EXIT_CODE
from tests.workflows import policy

ROOT = Path(__file__).parents[2]
WORKFLOWS, TEXTS = policy.load(ROOT / ".github/workflows")
PYTHON = (ROOT / ".python-version").read_text().strip()
LOCK = (ROOT / "requirements-dev.txt").read_text()

RULES = {
    "pinned_uses": lambda wf, texts: policy.pinned_uses(texts),
    "no_push_on_pull_request": lambda wf, texts: policy.no_push_on_pull_request(wf),
    "scan_before_push": lambda wf, texts: policy.scan_before_push(wf),
    "timeouts": lambda wf, texts: policy.timeouts(wf),
    "least_privilege": lambda wf, texts: policy.least_privilege(wf),
    "checkout_without_credentials": lambda wf, texts: policy.checkout_without_credentials(wf),
    "no_expressions_in_run": lambda wf, texts: policy.no_expressions_in_run(wf),
    "read_not_repeated": lambda wf, texts: policy.read_not_repeated(texts, PYTHON),
    "cancels_only_pull_requests": lambda wf, texts: policy.cancels_only_pull_requests(wf),
    "trivy_matches_the_lock": lambda wf, texts: policy.trivy_matches_the_lock(wf, LOCK),
}


def test_the_expected_workflows_exist():
    assert set(WORKFLOWS) == {"ci.yml", "image.yml", "release.yml"}
    assert policy.triggers(WORKFLOWS["ci.yml"]) >= {"pull_request", "push"}
    assert policy.triggers(WORKFLOWS["release.yml"]) == {"push"}


@pytest.mark.parametrize("rule", RULES)
def test_workflows_follow_the_rule(rule):
    assert RULES[rule](WORKFLOWS, TEXTS) == []


def job(workflows, name, job_id):
    return workflows[name]["jobs"][job_id]


def step(workflows, name, job_id, action):
    return next(s for s in job(workflows, name, job_id)["steps"] if policy.uses(s, action))


def unpin(wf, texts):
    pinned = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    texts["image.yml"] = texts["image.yml"].replace(pinned, "actions/checkout@v7", 1)


def drop_version_comment(wf, texts):
    texts["release.yml"] = texts["release.yml"].replace("# v4.2.2", "", 1)


def push_on_pull_requests(wf, texts):
    job(wf, "ci.yml", "pipeline")["with"]["push"] = True


def unguarded_publish(wf, texts):
    del job(wf, "image.yml", "publish")["if"]


def use_pull_request_target(wf, texts):
    wf["ci.yml"]["on"] = {"pull_request_target": None}


def publish_without_scan(wf, texts):
    job(wf, "image.yml", "publish")["needs"] = ["check"]


def scan_that_cannot_fail(wf, texts):
    step(wf, "image.yml", "image", "aquasecurity/trivy-action")["with"]["exit-code"] = "0"


def ignore_the_verdict(wf, texts):
    image = job(wf, "image.yml", "image")
    image["steps"] = [s for s in image["steps"] if "pipeline verdict" not in str(s.get("run"))]


def push_before_scan_in_one_job(wf, texts):
    login = step(wf, "image.yml", "publish", "docker/login-action")
    image = job(wf, "image.yml", "image")
    image["steps"].insert(1, login)
    del job(wf, "image.yml", "publish")["needs"]


def no_timeout(wf, texts):
    del job(wf, "image.yml", "merge")["timeout-minutes"]


def broad_top_level(wf, texts):
    wf["release.yml"]["permissions"] = "write-all"


def job_without_permissions(wf, texts):
    del job(wf, "image.yml", "check")["permissions"]


def persisted_credentials(wf, texts):
    del step(wf, "image.yml", "merge", "actions/checkout")["with"]["persist-credentials"]


def expression_in_run(wf, texts):
    job(wf, "image.yml", "check")["steps"].append({"run": "echo ${{ github.head_ref }}"})


def literal_python(wf, texts):
    texts["image.yml"] = texts["image.yml"].replace(
        "python-version-file: .python-version", f'python-version: "{PYTHON}"')


def second_image_name(wf, texts):
    texts["release.yml"] += '\n# run: echo "image=ghcr.io/${GITHUB_REPOSITORY,,}"\n'


def cancel_releases(wf, texts):
    wf["release.yml"]["concurrency"]["cancel-in-progress"] = True


def cancel_main(wf, texts):
    wf["ci.yml"]["concurrency"]["cancel-in-progress"] = True


def other_trivy(wf, texts):
    step(wf, "image.yml", "image", "aquasecurity/trivy-action")["with"]["version"] = "v0.69.4"


BREAKAGES = [
    ("pinned_uses", unpin, "actions/checkout@v7"),
    ("pinned_uses", drop_version_comment, "actions/attest@"),
    ("no_push_on_pull_request", push_on_pull_requests, "may push on pull_request"),
    ("no_push_on_pull_request", unguarded_publish, "job publish pushes without `if: inputs.push`"),
    ("no_push_on_pull_request", use_pull_request_target, "pull_request_target"),
    ("scan_before_push", publish_without_scan, "job publish pushes without a scan"),
    ("scan_before_push", scan_that_cannot_fail, "pushes without a scan"),
    ("scan_before_push", ignore_the_verdict, "pushes without a scan"),
    ("scan_before_push", push_before_scan_in_one_job, "job image pushes without a scan"),
    ("timeouts", no_timeout, "job merge has no timeout-minutes"),
    ("least_privilege", broad_top_level, "top-level permissions are 'write-all'"),
    ("least_privilege", job_without_permissions, "job check does not list its permissions"),
    ("checkout_without_credentials", persisted_credentials, "job merge checks out"),
    ("no_expressions_in_run", expression_in_run, "job check interpolates"),
    ("read_not_repeated", literal_python, f"repeats the Python version {PYTHON}"),
    ("read_not_repeated", second_image_name, "is made 2 times"),
    ("cancels_only_pull_requests", cancel_releases, "a release run may be cancelled"),
    ("cancels_only_pull_requests", cancel_main, "superseded pull request runs only"),
    ("trivy_matches_the_lock", other_trivy, "runs Trivy v0.69.4"),
]


@pytest.mark.parametrize(("rule", "breakage", "expected"), BREAKAGES,
                         ids=[b[1].__name__ for b in BREAKAGES])
def test_each_rule_catches_a_broken_copy(rule, breakage, expected):
    workflows, texts = copy.deepcopy(WORKFLOWS), dict(TEXTS)
    breakage(workflows, texts)
    found = RULES[rule](workflows, texts)
    assert any(expected in problem for problem in found), found


def test_every_rule_has_a_breakage():
    assert {rule for rule, _, _ in BREAKAGES} == set(RULES)


def test_the_gate_uses_the_pipelines_exit_code():
    scan = step(WORKFLOWS, "image.yml", "image", "aquasecurity/trivy-action")
    assert scan["with"]["exit-code"] == str(FOUND_EXIT_CODE)
    assert scan["with"]["severity"] == "HIGH,CRITICAL" and scan["with"]["ignore-unfixed"] is True
