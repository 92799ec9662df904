"""Rules a reviewer would otherwise check by hand in .github/workflows. Each rule takes the parsed
workflows ({file name: dict}, plus their raw text where a comment matters) and returns what
breaks it, as readable strings: an empty list means the rule holds."""

import re

import yaml

PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)(?:\s+#\s*(.*?))?\s*$")
LOCAL = "./.github/workflows/"
# Steps that give an image a name someone pulls, or vouch for it. Pushing an untagged build by
# digest before it is tested is by design (scripts/build.sh, PUSH=1): nothing pulls it by name.
TAGGING = re.compile(r"scripts/(publish|sign|push)\.sh|\b(imagetools create|docker push|"
                     r"cosign sign|gh release create)\b")
# One implementation per stage: these actions would be a second one (tags, build, scan).
REPLACED = ("docker/metadata-action", "docker/build-push-action", "aquasecurity/trivy-action")


def load(folder):
    texts = {path.name: path.read_text() for path in sorted(folder.glob("*.yml"))}
    return {name: yaml.safe_load(text) for name, text in texts.items()}, texts


def triggers(workflow):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    return set(on) if isinstance(on, dict) else {on} if isinstance(on, str) else set(on or ())


def on(workflow):
    return workflow.get("on", workflow.get(True))


def jobs(workflows):
    for name, workflow in workflows.items():
        for job_id, job in (workflow.get("jobs") or {}).items():
            yield name, job_id, job


def steps(job):
    return job.get("steps") or []


def uses(step, action):
    return str(step.get("uses", "")).split("@")[0] == action


def runs(step):
    return str(step.get("run", ""))


def needs(job):
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else list(value)


def compact(expression):
    return re.sub(r"\s+", "", str(expression))


# --- a small evaluator for the GitHub expressions the rules need to run, not just read ---------

TOKEN = re.compile(r"\s*(?:(\$\{\{|\}\})|('(?:[^']|'')*')|(==|!=|&&|\|\||!|\(|\))"
                   r"|([A-Za-z_][\w.-]*))")


def evaluate(expression, context):
    """Evaluate `${{ ... }}` parts of a string (literals, dotted context lookups, ==, !=, !, &&,
    ||, parentheses) with GitHub's semantics: && and || return an operand, == on strings ignores
    case. Text outside `${{ }}` is kept, as GitHub does in a group name."""
    if not isinstance(expression, str) or "${{" not in expression:
        return expression  # a literal: YAML's true stays True
    text = expression
    parts, rest = [], text
    while "${{" in rest:
        before, _, after = rest.partition("${{")
        inner, _, rest = after.partition("}}")
        parts += [before, _expr(inner, context)]
    parts.append(rest)
    if len(parts) == 3 and parts[0].strip() == "" and parts[2].strip() == "":
        return parts[1]  # a whole-value expression keeps its type (cancel-in-progress: bool)
    return "".join(str(p).lower() if isinstance(p, bool) else str(p) for p in parts)


def _expr(source, context):
    tokens = [t for t in TOKEN.findall(source)]
    flat = [next(x for x in t if x) for t in tokens if any(t)]
    position = [0]

    def peek():
        return flat[position[0]] if position[0] < len(flat) else None

    def take():
        position[0] += 1
        return flat[position[0] - 1]

    def primary():
        token = take()
        if token == "(":
            value = disjunction()
            take()
            return value
        if token == "!":
            return not primary()
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token in ("true", "false"):
            return token == "true"
        value = context
        for key in token.split("."):
            value = value.get(key, "") if isinstance(value, dict) else ""
        return value

    def comparison():
        left = primary()
        while peek() in ("==", "!="):
            op, right = take(), primary()
            same = (left.lower() == right.lower() if isinstance(left, str)
                    and isinstance(right, str) else left == right)
            left = same if op == "==" else not same
        return left

    def conjunction():
        left = comparison()
        while peek() == "&&":
            take()
            right = comparison()
            left = right if left else left
        return left

    def disjunction():
        left = conjunction()
        while peek() == "||":
            take()
            right = conjunction()
            left = left if left else right
        return left

    return disjunction()


# --- rules -------------------------------------------------------------------------------------


def pinned_uses(texts):
    """Every action is pinned to a full commit SHA with its `# vX.Y.Z` next to it."""
    bad = []
    for name, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            match = PIN.match(line)
            if not match or match[1].startswith(LOCAL):
                continue
            ref, comment = match[1], match[2] or ""
            if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref) or not re.fullmatch(
                r"v\d+\.\d+\.\d+", comment
            ):
                bad.append(f"{name}:{number}: {line.strip()}")
    return bad


def local_reusable_workflow(texts):
    """The reusable workflow is called as `./.github/workflows/...` (act and Enterprise Server
    reject `$/`), with zizmor's self-repository finding silenced in place, with a reason."""
    bad = []
    for name, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            match = re.match(r"^\s*uses:\s*(\S+)(.*)$", line)
            if not match or ".github/workflows/" not in match[1]:
                continue
            if not match[1].startswith(LOCAL):
                bad.append(f"{name}:{number}: {match[1]} is not ./.github/workflows/...")
            elif not re.search(r"#\s*zizmor:\s*ignore\[self-repository\]\s*\S", match[2]):
                bad.append(f"{name}:{number}: no `# zizmor: ignore[self-repository] <reason>`")
    return bad


def no_artifact_metadata(workflows):
    """No permission act rejects ("Unknown Property"): actions/attest creates no storage record,
    the only thing `artifact-metadata` is for."""
    bad = []
    for name, job_id, job in jobs(workflows):
        for scope in (workflows[name].get("permissions"), job.get("permissions")):
            if isinstance(scope, dict) and "artifact-metadata" in scope:
                bad.append(f"{name}: job {job_id} asks for artifact-metadata")
        for step in steps(job):
            if uses(step, "actions/attest") and \
                    str((step.get("with") or {}).get("create-storage-record")) != "False":
                bad.append(f"{name}: job {job_id}: actions/attest without "
                           "create-storage-record: false")
    return bad


def logs_in_or_tags(step, job):
    """Does this step log in, push by digest, tag, sign or release?"""
    env = {**(job.get("env") or {}), **(step.get("env") or {})}
    build_push = "scripts/build.sh" in runs(step) and str(env.get("PUSH", "")) not in ("", "0")
    return uses(step, "docker/login-action") or build_push or bool(TAGGING.search(runs(step)))


def pushing_jobs(workflows):
    return [(name, job_id, job) for name, job_id, job in jobs(workflows)
            if any(logs_in_or_tags(step, job) for step in steps(job))]


def called_only_on_push(workflows, name):
    """Every job calling the reusable workflow `name` is in a workflow no pull request or
    schedule triggers, or its `if:` is false for those events (evaluated)."""
    callers = [(caller, job) for caller, _, job in jobs(workflows)
               if str(job.get("uses", "")).endswith(f"/{name}")]
    return bool(callers) and all(
        not (triggers(workflows[caller]) & {event}) or not evaluate(
            job.get("if", True), {"github": {"event_name": event}})
        for caller, job in callers for event in ("pull_request", "schedule"))


def no_push_on_pull_request(workflows):
    """Pull requests and the weekly scan never log in or push: a reusable workflow's pushing
    steps run only when its caller passes push: true, which ci.yml does only for `push`, or the
    workflow is called only for pushes (deploy.yml)."""
    bad = []
    for name, job_id, job in pushing_jobs(workflows):
        if "workflow_call" not in triggers(workflows[name]):
            if triggers(workflows[name]) & {"pull_request", "schedule"}:
                bad.append(f"{name}: job {job_id} pushes in a pull request workflow")
            continue
        if called_only_on_push(workflows, name):
            continue
        # Evaluated, not read: with inputs.push false, the job or the step must not run, or
        # the build must not push.
        pull_request = {"inputs": {"push": False}}
        for step in steps(job):
            env = {**(job.get("env") or {}), **(step.get("env") or {})}
            if not logs_in_or_tags(step, job):
                continue
            runs_then = bool(evaluate(job.get("if", True), pull_request)
                             and evaluate(step.get("if", True), pull_request))
            if "scripts/build.sh" in runs(step) and "PUSH" in env:
                runs_then = runs_then and evaluate(env["PUSH"], pull_request) not in ("", "0")
            if runs_then:
                bad.append(f"{name}: job {job_id} step {step.get('name') or step.get('uses')} "
                           "pushes without `inputs.push`")
    for name, job_id, job in jobs(workflows):
        push = compact((job.get("with") or {}).get("push", "false"))
        on_pr = triggers(workflows[name]) & {"pull_request", "schedule"}
        if on_pr and job.get("uses") and push not in ("false", "False",
                                                      "${{github.event_name=='push'}}"):
            bad.append(f"{name}: job {job_id} may push on pull_request or schedule (push: {push})")
    return bad


def no_write_scope_for_code_under_test(workflows):
    """A job that checks out and runs the repository's code, and runs for a pull request (in a
    called workflow: when inputs.push is false), holds no write scope: that code is not yet
    reviewed. (A job's permissions cannot depend on the event, so such jobs are split.)"""
    bad = []
    pull_request = {"inputs": {"push": False}, "github": {"event_name": "pull_request"}}
    for name, job_id, job in jobs(workflows):
        called = "workflow_call" in triggers(workflows[name])
        if not called and "pull_request" not in triggers(workflows[name]):
            continue
        runs_code = any(uses(step, "actions/checkout") for step in steps(job)) and any(
            "run" in step for step in steps(job))
        if not runs_code or (called and not evaluate(job.get("if", True), pull_request)):
            continue
        writes = [scope for scope, level in (job.get("permissions") or {}).items()
                  if level == "write"]
        if writes:
            bad.append(f"{name}: job {job_id} runs a pull request's code with "
                       f"{', '.join(writes)}: write")
    return bad


def scans(job):
    """The index of the job's gating scan step: scripts/scan.sh, not allowed to fail."""
    return next((i for i, step in enumerate(steps(job)) if "scripts/scan.sh" in runs(step)
                 and not step.get("continue-on-error")), None)


def tag_after_scan(workflows):
    """Every tag, signature or release follows a passed scan: in the same job, or in a job it
    needs (a reusable workflow that scans counts as a scanning job)."""
    scanning = {name for name, _, job in jobs(workflows) if scans(job) is not None}

    def scanned(name, job_id, seen=()):
        job = workflows[name]["jobs"].get(job_id, {})
        called = str(job.get("uses", "")).removeprefix(LOCAL)
        if called in scanning or scans(job) is not None:
            return True
        return any(scanned(name, need, seen + (job_id,)) for need in needs(job)
                   if need not in seen)

    bad = []
    for name, job_id, job in jobs(workflows):
        tagging = [i for i, step in enumerate(steps(job)) if TAGGING.search(runs(step))]
        if not tagging:
            continue
        gate = scans(job)
        if gate is not None and gate < tagging[0]:
            continue
        if not any(scanned(name, need) for need in needs(job)):
            bad.append(f"{name}: job {job_id} tags without a scan before it")
    return bad


def build_after_check(workflows):
    """Nothing is built, let alone pushed, before the lock check, lint and unit tests passed:
    every job that builds needs the job that runs scripts/check.sh."""
    bad = []
    for name, workflow in workflows.items():
        checking = {job_id for _, job_id, job in jobs({name: workflow})
                    if any("scripts/check.sh" in runs(step) for step in steps(job))}
        for _, job_id, job in jobs({name: workflow}):
            if any("scripts/build.sh" in runs(step) for step in steps(job)) and \
                    not checking & set(needs(job)):
                bad.append(f"{name}: job {job_id} builds without needing the check job")
    return bad


def nothing_after_a_failure(workflows):
    """A job that tags, signs or releases and calls a status function in its `if:` (which
    drops the implicit success()) still requires the image jobs' success, and never always()."""
    bad = []
    for name, job_id, job in jobs(workflows):
        condition = compact(job.get("if", ""))
        if not any(TAGGING.search(runs(step)) for step in steps(job)) or not any(
                call in condition for call in ("always()", "cancelled()", "failure()")):
            continue
        if "always()" in condition or "needs.image.result=='success'" not in condition:
            bad.append(f"{name}: job {job_id} may run after a failure (if: {job['if']})")
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


def sarif_can_read_the_run(workflows):
    """codeql-action/upload-sarif reads the workflow run (getAnalysisKey: GET .../actions/runs/
    :run_id), which a private repository's token may do only with `actions: read`; a caller
    grants at most what its called jobs ask for."""
    bad = []
    for name, job_id, job in jobs(workflows):
        permissions = job.get("permissions") or {}
        uploads = any(uses(step, "github/codeql-action/upload-sarif") for step in steps(job))
        calls_an_uploader = LOCAL + "image.yml" in str(job.get("uses", ""))
        if (uploads or calls_an_uploader) and permissions.get("actions") not in ("read", "write"):
            bad.append(f"{name}: job {job_id} uploads SARIF without `actions: read`")
    return bad


def bash_by_default(workflows):
    """`defaults: run: shell: bash`: bash's -e and pipefail, the same on every runner."""
    return [f"{name}: no `defaults: run: shell: bash`" for name, workflow in workflows.items()
            if any("run" in step for _, _, job in jobs({name: workflow}) for step in steps(job))
            and ((workflow.get("defaults") or {}).get("run") or {}).get("shell") != "bash"]


def strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def read_not_repeated(workflows, texts, python_version):
    """The Python version comes from .python-version; the registry and the image name are each
    written in one place (image.yml's settings job, the image name by pipeline/ci.py), which
    release.yml reads."""
    bad = []
    for name, text in texts.items():
        if re.search(rf"(?<![\d.]){re.escape(python_version)}(?![\d])", text):
            bad.append(f"{name}: repeats the Python version {python_version}")
        if "python-version:" in text:
            bad.append(f"{name}: python-version instead of python-version-file: .python-version")
    values = [s for wf in workflows.values() for s in strings(wf)]
    registries = sum(s.count("ghcr.io") for s in values)
    if registries != 1:
        bad.append(f"the registry ghcr.io is written {registries} times, not once")
    images = sum(s.count("GITHUB_REPOSITORY,,") for s in values)
    if images:
        bad.append(f"the image name <owner>/<repo> is made {images} time(s) in a workflow, not "
                   "by the settings job alone (pipeline/ci.py, with the IMAGE variable)")
    return bad


def concurrency(workflows):
    """Evaluated, not read: superseded pull request runs are cancelled; runs on main are never
    cancelled, not even while pending (each commit has its own group: GitHub keeps one pending
    run per group and cancels the older); the schedule has a group of its own; releases are
    never cancelled."""
    def event(name, ref, sha, number=None):
        return {"github": {"event_name": name, "ref": ref, "sha": sha, "head_ref": "f" if number
                           else "", "event": {"number": number} if number else {}}}

    pr_a, pr_b = event("pull_request", "refs/pull/7/merge", "a1", 7), \
        event("pull_request", "refs/pull/7/merge", "b2", 7)
    main_a, main_b = event("push", "refs/heads/main", "a1"), event("push", "refs/heads/main", "b2")
    weekly = event("schedule", "refs/heads/main", "a1")
    bad = []
    for name, workflow in workflows.items():
        if "workflow_call" in triggers(workflow):
            continue  # runs under its caller's concurrency
        settings = workflow.get("concurrency") or {}
        group, cancel = settings.get("group", ""), settings.get("cancel-in-progress", False)
        if not group:
            bad.append(f"{name}: no concurrency group")
            continue

        def g(ctx):
            return evaluate(group, ctx)

        def c(ctx):
            return evaluate(cancel, ctx) in (True, "true")

        push = on(workflow).get("push") if isinstance(on(workflow), dict) else None
        if isinstance(push, dict) and "tags" in push:
            tag = event("push", "refs/tags/v1.2.3", "a1")
            if c(tag):
                bad.append(f"{name}: a release run may be cancelled")
            continue
        if "pull_request" in triggers(workflow):
            if g(pr_a) != g(pr_b) or not c(pr_a):
                bad.append(f"{name}: a newer commit does not supersede a pull request's run")
        if "push" in triggers(workflow):
            if c(main_a):
                bad.append(f"{name}: a run on main may be cancelled")
            if g(main_a) == g(main_b):
                bad.append(f"{name}: runs on main share a group: a pending one is cancelled "
                           "when a newer one queues")
        if "schedule" in triggers(workflow):
            if c(weekly):
                bad.append(f"{name}: the scheduled run may be cancelled")
            if g(weekly) in (g(main_a), g(pr_a)):
                bad.append(f"{name}: the scheduled run shares a group with other runs")
    return bad


def trivy_matches_the_lock(workflows):
    """CI installs the official Trivy of the version `make scan` runs: the settings job reads it
    from the dev lock (pipeline/ci.py), so a bump of the lock alone moves CI too."""
    found = [(name, job_id, step) for name, job_id, job in jobs(workflows) for step in steps(job)
             if uses(step, "aquasecurity/setup-trivy")]
    wanted = "${{needs.settings.outputs.trivy}}"
    bad = [f"{name}: job {job_id} installs Trivy {(step.get('with') or {}).get('version')}, not "
           "the dev lock's (needs.settings.outputs.trivy)" for name, job_id, step in found
           if compact((step.get("with") or {}).get("version")) != wanted]
    scanning = [(name, job_id) for name, job_id, job in jobs(workflows) if scans(job) is not None]
    installed = {(name, job_id) for name, job_id, _ in found}
    bad += [f"{name}: job {job_id} scans without installing the official Trivy"
            for name, job_id in scanning if (name, job_id) not in installed]
    return bad


def switches(workflows, variables):
    """What a plan or the visibility decides goes through the settings job: it passes each
    repository variable to `pipeline ci-settings`; arm64 runners come only from its matrix;
    SARIF upload and attestations run only when it says so."""
    bad = []
    settings = [(name, job_id, step) for name, job_id, job in jobs(workflows)
                for step in steps(job) if "pipeline ci-settings" in runs(step)]
    if len(settings) != 1:
        bad.append(f"{len(settings)} steps run `pipeline ci-settings`, not 1")
    for name, job_id, step in settings:
        env = {k: compact(v) for k, v in (step.get("env") or {}).items()}
        bad += [f"{name}: job {job_id} does not pass vars.{v} to ci-settings" for v in variables
                if env.get(v) != f"${{{{vars.{v}}}}}"]
    for name, job_id, job in jobs(workflows):
        runner = str(job.get("runs-on", ""))
        if "arm" in runner and "matrix." not in runner:
            bad.append(f"{name}: job {job_id} runs on {runner}: arm64 comes only from the matrix")
        matrix = (job.get("strategy") or {}).get("matrix")
        if matrix is not None and not re.fullmatch(r"\$\{\{fromJSON\(needs\.\w+\.outputs\.matrix"
                                                   r"\)\}\}", compact(matrix)):
            bad.append(f"{name}: job {job_id} has a matrix of its own, not the settings job's")
        for step in steps(job):
            condition = compact(step.get("if", "")) + compact(job.get("if", ""))
            if uses(step, "github/codeql-action/upload-sarif") and \
                    "outputs.sarif-upload=='true'" not in condition:
                bad.append(f"{name}: job {job_id} uploads SARIF whatever the settings say")
            if uses(step, "actions/attest") and "outputs.attest=='true'" not in condition:
                bad.append(f"{name}: job {job_id} attests whatever the settings say")
    return bad


def make_recipes(makefile_text):
    """{target: recipe text} of a Makefile (tab-indented lines under `target:`)."""
    recipes, target = {}, None
    for line in makefile_text.splitlines():
        match = re.match(r"^([\w.-]+):(?!=)", line)
        if match:
            target = match[1]
            recipes.setdefault(target, "")
        elif line.startswith("\t") and target:
            recipes[target] += line + "\n"
        elif line.strip() and not line.startswith("#"):
            target = None
    return recipes


def reachable_scripts(makefile_text, read_script):
    """Every scripts/*.sh a make target runs, directly or through another script."""
    recipes = "".join(make_recipes(makefile_text).values())
    pending = set(re.findall(r"scripts/[\w.-]+\.sh", recipes))
    seen = set()
    while pending:
        script = pending.pop()
        seen.add(script)
        pending |= set(re.findall(r"scripts/[\w.-]+\.sh", read_script(script))) - seen
    return seen


def workflow_scripts(workflows):
    return {s for _, _, job in jobs(workflows) for step in steps(job)
            for s in re.findall(r"scripts/[\w.-]+\.sh", runs(step))}


STAGES = ("scripts/check.sh", "scripts/build.sh", "scripts/smoke.sh", "scripts/scan.sh",
          "scripts/publish.sh", "scripts/sign.sh")


def same_scripts_as_make(workflows, makefile_text, read_script):
    """One implementation per stage: the workflows run the scripts `make` runs, every stage
    through its script, and no action that would be a second implementation."""
    called = workflow_scripts(workflows)
    bad = [f"a workflow runs {s}, which no make target runs"
           for s in sorted(called - reachable_scripts(makefile_text, read_script))]
    bad += [f"no workflow runs {s}" for s in STAGES if s not in called]
    bad += [f"{name}: job {job_id} uses {step['uses'].split('@')[0]}: a second implementation"
            for name, job_id, job in jobs(workflows) for step in steps(job)
            if any(uses(step, action) for action in REPLACED)]
    # The gate and its verdict live in trivy.yaml, scripts/scan.sh and pipeline/scan.py only.
    bad += [f"{name}: job {job_id} runs Trivy or decides the scan inline"
            for name, job_id, job in jobs(workflows) for step in steps(job)
            if re.search(r"(^|[\s;&|(])trivy\s|pipeline verdict|--exit-code", runs(step))]
    return bad


def summaries(workflows):
    """Every job that builds or publishes ends with a summary that runs whatever happened
    (`if: always()`), from the same `python -m pipeline summary` as `make pipeline`; only a job
    that publishes reports tags."""
    bad = []
    for name, job_id, job in jobs(workflows):
        stage_steps = [s for s in steps(job) if re.search(r"scripts/(build|publish)\.sh", runs(s))]
        if not stage_steps:
            continue
        summary = [s for s in steps(job) if "pipeline summary" in runs(s)]
        if not summary:
            bad.append(f"{name}: job {job_id} has no summary step")
            continue
        step = summary[-1]
        if compact(step.get("if", "")) not in ("${{always()}}", "always()"):
            bad.append(f"{name}: job {job_id}'s summary does not run when a stage failed")
        if steps(job)[-1] is not step:
            bad.append(f"{name}: job {job_id}'s summary is not its last step")
        publishes = any("scripts/publish.sh" in runs(s) for s in steps(job))
        if not publishes and re.search(r"--(published|tags)\b", runs(step)):
            bad.append(f"{name}: job {job_id} reports tags but pushes none")
    return bad


def gha_cache_reachable(workflows):
    """A run step that builds with buildx's `type=gha` cache gets the Actions runtime (token and
    cache URL) from an action first: the runner gives it to actions only, and without it the
    build fails or runs uncached."""
    bad = []
    for name, job_id, job in jobs(workflows):
        exposed = False
        for step in steps(job):
            exposed = exposed or uses(step, "crazy-max/ghaction-github-runtime")
            env = {**(job.get("env") or {}), **(step.get("env") or {})}
            if "run" in step and any("type=gha" in str(v) for v in env.values()) \
                    and not exposed:
                bad.append(f"{name}: job {job_id} builds with the gha cache, no runtime exposed")
    return bad
