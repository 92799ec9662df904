"""The workflows follow the rules in policy.py, and each rule catches a deliberately broken copy."""

import copy
from pathlib import Path

import pytest

from pipeline import ci
from template.tests.workflows import policy

ROOT = Path(__file__).parents[3]
WORKFLOWS, TEXTS = policy.load(ROOT / ".github/workflows")
PYTHON = (ROOT / ".python-version").read_text().strip()
LOCK = (ROOT / "requirements-dev.txt").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def read_script(path):
    script = ROOT / path
    return script.read_text() if script.exists() else ""


RULES = {
    "pinned_uses": lambda wf, texts, mk: policy.pinned_uses(texts),
    "local_reusable_workflow": lambda wf, texts, mk: policy.local_reusable_workflow(texts),
    "no_artifact_metadata": lambda wf, texts, mk: policy.no_artifact_metadata(wf),
    "no_push_on_pull_request": lambda wf, texts, mk: policy.no_push_on_pull_request(wf),
    "tag_after_scan": lambda wf, texts, mk: policy.tag_after_scan(wf),
    "timeouts": lambda wf, texts, mk: policy.timeouts(wf),
    "build_after_check": lambda wf, texts, mk: policy.build_after_check(wf),
    "no_write_scope_for_code_under_test":
        lambda wf, texts, mk: policy.no_write_scope_for_code_under_test(wf),
    "nothing_after_a_failure": lambda wf, texts, mk: policy.nothing_after_a_failure(wf),
    "least_privilege": lambda wf, texts, mk: policy.least_privilege(wf),
    "sarif_can_read_the_run": lambda wf, texts, mk: policy.sarif_can_read_the_run(wf),
    "bash_by_default": lambda wf, texts, mk: policy.bash_by_default(wf),
    "read_not_repeated": lambda wf, texts, mk: policy.read_not_repeated(wf, texts, PYTHON),
    "concurrency": lambda wf, texts, mk: policy.concurrency(wf),
    "trivy_matches_the_lock": lambda wf, texts, mk: policy.trivy_matches_the_lock(wf),
    "switches": lambda wf, texts, mk: policy.switches(wf, ci.VARIABLES),
    "same_scripts_as_make": lambda wf, texts, mk: policy.same_scripts_as_make(wf, mk,
                                                                              read_script),
    "summaries": lambda wf, texts, mk: policy.summaries(wf),
    "gha_cache_reachable": lambda wf, texts, mk: policy.gha_cache_reachable(wf),
}


def test_the_expected_workflows_exist():
    assert set(WORKFLOWS) == {"adopt.yml", "ci.yml", "deploy.yml", "image.yml", "release.yml"}
    assert policy.triggers(WORKFLOWS["ci.yml"]) == {"pull_request", "push", "schedule"}
    assert policy.triggers(WORKFLOWS["release.yml"]) == {"push"}


@pytest.mark.parametrize("rule", RULES)
def test_workflows_follow_the_rule(rule):
    assert RULES[rule](WORKFLOWS, TEXTS, MAKEFILE) == []


def job(workflows, name, job_id):
    return workflows[name]["jobs"][job_id]


def step(workflows, name, job_id, match):
    """The first step that uses the action `match`, or whose run: mentions it."""
    return next(s for s in job(workflows, name, job_id)["steps"]
                if policy.uses(s, match) or match in policy.runs(s))


def unpin(wf, texts, mk):
    pinned = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    texts["image.yml"] = texts["image.yml"].replace(pinned, "actions/checkout@v7", 1)
    return mk


def drop_version_comment(wf, texts, mk):
    texts["release.yml"] = texts["release.yml"].replace("# v4.2.2", "", 1)
    return mk


def dollar_reusable_workflow(wf, texts, mk):
    texts["ci.yml"] = texts["ci.yml"].replace("uses: ./.github/", "uses: $/.github/")
    return mk


def unexplained_zizmor_ignore(wf, texts, mk):
    texts["release.yml"] = texts["release.yml"].replace(
        "ignore[self-repository] act and GHES need ./", "ignore[self-repository]")
    return mk


def ask_for_artifact_metadata(wf, texts, mk):
    job(wf, "release.yml", "attest")["permissions"]["artifact-metadata"] = "write"
    return mk


def storage_records_on(wf, texts, mk):
    del step(wf, "release.yml", "attest", "actions/attest")["with"]["create-storage-record"]
    return mk


def push_on_pull_requests(wf, texts, mk):
    job(wf, "ci.yml", "pipeline")["with"]["push"] = "${{ github.event_name != 'pull_request' }}"
    return mk


def unguarded_login(wf, texts, mk):
    del step(wf, "image.yml", "image", "docker/login-action")["if"]
    return mk


def build_always_pushes(wf, texts, mk):
    step(wf, "image.yml", "image", "scripts/build.sh")["env"]["PUSH"] = "1"
    return mk


def unguarded_publish(wf, texts, mk):
    del job(wf, "image.yml", "publish")["if"]
    job(wf, "image.yml", "publish")["steps"] = [
        s for s in job(wf, "image.yml", "publish")["steps"]
        if not policy.uses(s, "docker/login-action")]
    return mk


def publish_without_scan(wf, texts, mk):
    job(wf, "image.yml", "publish")["needs"] = ["settings"]
    return mk


def scan_that_may_fail(wf, texts, mk):
    step(wf, "image.yml", "image", "scripts/scan.sh")["continue-on-error"] = True
    return mk


def sign_before_the_image(wf, texts, mk):
    job(wf, "release.yml", "release")["needs"] = []
    return mk


def no_timeout(wf, texts, mk):
    del job(wf, "image.yml", "publish")["timeout-minutes"]
    return mk


def broad_top_level(wf, texts, mk):
    wf["release.yml"]["permissions"] = "write-all"
    return mk


def job_without_permissions(wf, texts, mk):
    del job(wf, "image.yml", "check")["permissions"]
    return mk


def default_shell(wf, texts, mk):
    del wf["release.yml"]["defaults"]
    return mk


def literal_python(wf, texts, mk):
    texts["image.yml"] = texts["image.yml"].replace(
        "python-version-file: .python-version", f'python-version: "{PYTHON}"')
    return mk


def second_registry(wf, texts, mk):
    job(wf, "release.yml", "release")["env"]["REGISTRY"] = "ghcr.io"
    return mk


def second_image_name(wf, texts, mk):
    job(wf, "release.yml", "release")["steps"].append(
        {"run": 'echo "image=${GITHUB_REPOSITORY,,}"'})
    return mk


def cancel_main(wf, texts, mk):
    wf["ci.yml"]["concurrency"]["cancel-in-progress"] = True
    return mk


def one_group_for_main(wf, texts, mk):
    wf["ci.yml"]["concurrency"]["group"] = "ci-${{ github.ref }}"
    return mk


def schedule_shares_the_group(wf, texts, mk):
    wf["ci.yml"]["concurrency"]["group"] = (
        "ci-${{ github.event_name == 'pull_request' && github.ref || github.sha }}")
    return mk


def pull_requests_not_superseded(wf, texts, mk):
    wf["ci.yml"]["concurrency"]["cancel-in-progress"] = False
    return mk


def cancel_releases(wf, texts, mk):
    wf["release.yml"]["concurrency"]["cancel-in-progress"] = True
    return mk


def other_trivy(wf, texts, mk):
    step(wf, "image.yml", "image", "aquasecurity/setup-trivy")["with"]["version"] = "v0.69.4"
    return mk


def trivy_from_the_runner(wf, texts, mk):
    image = job(wf, "image.yml", "image")
    image["steps"] = [s for s in image["steps"] if not policy.uses(s, "aquasecurity/setup-trivy")]
    return mk


def arm64_runner_by_hand(wf, texts, mk):
    job(wf, "release.yml", "release")["runs-on"] = "ubuntu-24.04-arm"
    return mk


def matrix_of_its_own(wf, texts, mk):
    job(wf, "image.yml", "image")["strategy"]["matrix"] = {"include": [
        {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm", "arch": "arm64"}]}
    return mk


def sarif_upload_always(wf, texts, mk):
    job(wf, "image.yml", "code-scanning")["if"] = "${{ !cancelled() }}"
    return mk


def attest_always(wf, texts, mk):
    del job(wf, "release.yml", "attest")["if"]
    return mk


def variable_not_passed(wf, texts, mk):
    del step(wf, "image.yml", "settings", "pipeline ci-settings")["env"]["ATTEST"]
    return mk


def script_make_does_not_run(wf, texts, mk):
    step(wf, "image.yml", "image", "scripts/smoke.sh")["run"] = "scripts/ci-smoke.sh"
    return mk


def inline_scan(wf, texts, mk):
    step(wf, "image.yml", "image", "scripts/scan.sh")["run"] = "trivy image --exit-code 3 x"
    return mk


def inline_verdict(wf, texts, mk):
    step(wf, "image.yml", "image", "scripts/scan.sh")["run"] = (
        'scripts/scan.sh || python3 -m pipeline verdict --exit-code "$?" --report r.json')
    return mk


def make_stops_running_a_script(wf, texts, mk):
    return mk.replace("scripts/smoke.sh", "docker run --rm smoke")


def metadata_action_again(wf, texts, mk):
    job(wf, "image.yml", "publish")["steps"].insert(
        0, {"uses": "docker/metadata-action@dc802804100637a589fabce1cb79ff13a1411302"})
    return mk


def summary_skipped_on_failure(wf, texts, mk):
    step(wf, "image.yml", "image", "pipeline summary")["if"] = "${{ success() }}"
    return mk


def no_summary(wf, texts, mk):
    publish = job(wf, "image.yml", "publish")
    publish["steps"] = [s for s in publish["steps"] if "pipeline summary" not in policy.runs(s)]
    return mk


def tags_where_nothing_is_pushed(wf, texts, mk):
    summary = step(wf, "image.yml", "image", "pipeline summary")
    summary["run"] += ' --published "$ARTIFACTS/published.json"'
    return mk


def no_runtime_for_the_cache(wf, texts, mk):
    image = job(wf, "image.yml", "image")
    image["steps"] = [s for s in image["steps"]
                      if not policy.uses(s, "crazy-max/ghaction-github-runtime")]
    return mk


def write_scope_on_pull_requests(workflows, texts, makefile):
    workflows["image.yml"]["jobs"]["image"]["permissions"]["security-events"] = "write"
    return makefile


def image_without_check(workflows, texts, makefile):
    workflows["image.yml"]["jobs"]["image"]["needs"] = ["settings"]
    return makefile


def release_always(workflows, texts, makefile):
    workflows["release.yml"]["jobs"]["release"]["if"] = "${{ always() }}"
    return makefile


def release_after_a_failed_image(workflows, texts, makefile):
    workflows["release.yml"]["jobs"]["release"]["if"] = (
        "${{ !cancelled() && needs.attest.result != 'failure' }}")
    return makefile


def sarif_without_actions_read(workflows, texts, makefile):
    del workflows["image.yml"]["jobs"]["code-scanning"]["permissions"]["actions"]
    return makefile


def caller_without_actions_read(workflows, texts, makefile):
    del workflows["release.yml"]["jobs"]["image"]["permissions"]["actions"]
    return makefile


BREAKAGES = [
    ("pinned_uses", unpin, "actions/checkout@v7"),
    ("pinned_uses", drop_version_comment, "actions/attest@"),
    ("local_reusable_workflow", dollar_reusable_workflow, "is not ./.github/workflows/"),
    ("local_reusable_workflow", unexplained_zizmor_ignore, "no `# zizmor: ignore"),
    ("no_artifact_metadata", ask_for_artifact_metadata, "job attest asks for artifact-metadata"),
    ("no_artifact_metadata", storage_records_on, "without create-storage-record: false"),
    ("no_push_on_pull_request", push_on_pull_requests, "may push on pull_request"),
    ("no_push_on_pull_request", unguarded_login, "pushes without `inputs.push`"),
    ("no_push_on_pull_request", build_always_pushes, "Build (and on push runs"),
    ("no_push_on_pull_request", unguarded_publish, "job publish step Refuse"),
    ("tag_after_scan", publish_without_scan, "job publish tags without a scan"),
    ("tag_after_scan", scan_that_may_fail, "job publish tags without a scan"),
    ("tag_after_scan", sign_before_the_image, "job release tags without a scan"),
    ("timeouts", no_timeout, "job publish has no timeout-minutes"),
    ("no_write_scope_for_code_under_test", write_scope_on_pull_requests,
     "job image runs a pull request's code with security-events: write"),
    ("build_after_check", image_without_check, "job image builds without needing the check"),
    ("nothing_after_a_failure", release_always, "job release may run after a failure"),
    ("nothing_after_a_failure", release_after_a_failed_image, "job release may run after"),
    ("least_privilege", broad_top_level, "top-level permissions are 'write-all'"),
    ("least_privilege", job_without_permissions, "job check does not list its permissions"),
    ("sarif_can_read_the_run", sarif_without_actions_read, "job code-scanning uploads SARIF"),
    ("sarif_can_read_the_run", caller_without_actions_read, "release.yml: job image uploads"),
    ("bash_by_default", default_shell, "release.yml: no `defaults"),
    ("read_not_repeated", literal_python, f"repeats the Python version {PYTHON}"),
    ("read_not_repeated", second_registry, "ghcr.io is written 2 times"),
    ("read_not_repeated", second_image_name, "is made 1 time(s) in a workflow"),
    ("concurrency", cancel_main, "a run on main may be cancelled"),
    ("concurrency", one_group_for_main, "runs on main share a group"),
    ("concurrency", schedule_shares_the_group, "the scheduled run shares a group"),
    ("concurrency", pull_requests_not_superseded, "does not supersede a pull request's run"),
    ("concurrency", cancel_releases, "a release run may be cancelled"),
    ("trivy_matches_the_lock", other_trivy, "installs Trivy v0.69.4, not the dev lock's"),
    ("trivy_matches_the_lock", trivy_from_the_runner, "scans without installing"),
    ("switches", arm64_runner_by_hand, "arm64 comes only from the matrix"),
    ("switches", matrix_of_its_own, "a matrix of its own"),
    ("switches", sarif_upload_always, "job code-scanning uploads SARIF whatever the settings"),
    ("switches", attest_always, "attests whatever the settings say"),
    ("switches", variable_not_passed, "does not pass vars.ATTEST"),
    ("same_scripts_as_make", script_make_does_not_run, "runs scripts/ci-smoke.sh, which no make"),
    ("same_scripts_as_make", script_make_does_not_run, "no workflow runs scripts/smoke.sh"),
    ("same_scripts_as_make", inline_scan, "no workflow runs scripts/scan.sh"),
    ("same_scripts_as_make", inline_scan, "job image runs Trivy or decides the scan inline"),
    ("same_scripts_as_make", inline_verdict, "job image runs Trivy or decides the scan inline"),
    ("same_scripts_as_make", make_stops_running_a_script, "runs scripts/smoke.sh, which no make"),
    ("same_scripts_as_make", metadata_action_again, "docker/metadata-action: a second"),
    ("summaries", summary_skipped_on_failure, "summary does not run when a stage failed"),
    ("summaries", no_summary, "job publish has no summary step"),
    ("summaries", tags_where_nothing_is_pushed, "job image reports tags but pushes none"),
    ("gha_cache_reachable", no_runtime_for_the_cache, "job image builds with the gha cache"),
]


@pytest.mark.parametrize(("rule", "breakage", "expected"), BREAKAGES,
                         ids=[f"{b[1].__name__}-{i}" for i, b in enumerate(BREAKAGES)])
def test_each_rule_catches_a_broken_copy(rule, breakage, expected):
    workflows, texts = copy.deepcopy(WORKFLOWS), dict(TEXTS)
    makefile = breakage(workflows, texts, MAKEFILE)
    if texts != TEXTS:  # an edit to the text: the rules that read the parsed form see it too
        workflows = {name: policy.yaml.safe_load(text) for name, text in texts.items()}
    found = RULES[rule](workflows, texts, makefile)
    assert any(expected in problem for problem in found), found


def test_every_rule_has_a_breakage():
    assert {rule for rule, _, _ in BREAKAGES} == set(RULES)


def test_the_evaluator_follows_github_semantics():
    """The concurrency rule is only as good as its evaluator: && and || return operands, string
    comparison ignores case, text around `${{ }}` is kept."""
    context = {"github": {"event_name": "push", "ref": "refs/heads/main", "sha": "abc"}}
    assert policy.evaluate("ci-${{ github.event_name == 'PUSH' && github.sha || 'x' }}",
                           context) == "ci-abc"
    assert policy.evaluate("${{ github.event_name == 'pull_request' }}", context) is False
    assert policy.evaluate("${{ !(github.ref != 'refs/heads/main') }}", context) is True
    assert policy.evaluate("${{ github.missing || 'default' }}", context) == "default"
