"""Every mutation in mutations.py breaks a test: policy and zizmor ones here, on a copy of the
workflows; executed ones by running their scenario on a mutated copy (marker `mutation`, run by
`make mutations`: each is a full act run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from template.tests.workflows import policy
from template.tests.workflows.mutations import MUTATIONS
from template.tests.workflows.test_policy import RULES

ROOT = Path(__file__).parents[3]
BY_ID = {m.id: m for m in MUTATIONS}


def kind(prefix):
    return [m for m in MUTATIONS if m.caught_by.startswith(prefix)]


def carried():
    """The mutation this tree carries, when it is a scenario's mutated copy (conftest.py's shop
    commits it as "mutation: <id>"): that copy's check job runs this suite too."""
    last = subprocess.run(["git", "log", "-1", "--format=%s"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    return last.removeprefix("mutation: ") if last.startswith("mutation: ") else None


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_each_mutation_still_applies_to_the_workflows(mutation):
    """A mutation whose text left the workflows would prove nothing."""
    text = (ROOT / mutation.file).read_text()
    assert text.count(mutation.old) == 1 or mutation.id == carried(), mutation.id
    kinds = ("policy", "zizmor", "run")
    assert mutation.caught_by.split(":")[0] in kinds


@pytest.mark.parametrize("mutation", kind("policy:"), ids=[m.id for m in kind("policy:")])
def test_a_policy_rule_catches_it(mutation):
    texts = {p.name: p.read_text() for p in sorted((ROOT / ".github/workflows").glob("*.yml"))}
    name = Path(mutation.file).name
    texts[name] = texts[name].replace(mutation.old, mutation.new)
    workflows = {n: policy.yaml.safe_load(t) for n, t in texts.items()}
    rule = mutation.caught_by.split(":", 1)[1]
    assert RULES[rule](workflows, texts, (ROOT / "Makefile").read_text()) != []


@pytest.mark.parametrize("mutation", kind("zizmor:"), ids=[m.id for m in kind("zizmor:")])
def test_zizmor_catches_it(tmp_path, mutation):
    folder = tmp_path / ".github/workflows"
    folder.mkdir(parents=True)
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        text = path.read_text()
        if path.name == Path(mutation.file).name:
            text = text.replace(mutation.old, mutation.new)
        (folder / path.name).write_text(text)
    result = subprocess.run([str(Path(sys.executable).parent / "zizmor"), "--offline",
                             "--persona", "auditor", str(tmp_path / ".github")],
                            capture_output=True, text=True)
    audit = mutation.caught_by.split(":", 1)[1]
    assert result.returncode != 0 and f"[{audit}]" in result.stdout


@pytest.mark.mutation
@pytest.mark.container
@pytest.mark.registry
@pytest.mark.parametrize("mutation", kind("run:"), ids=[m.id for m in kind("run:")])
def test_an_executed_scenario_catches_it(mutation):
    """The scenario, run with the mutation applied to its copy (WORKFLOW_MUTATION), fails on
    its own assertions."""
    scenario = mutation.caught_by.split(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", "-x",
         f"template/tests/workflows/test_runs.py::{scenario}"], cwd=ROOT, capture_output=True,
        text=True,
        env={**os.environ, "WORKFLOW_MUTATION": mutation.id})
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed" in result.stdout and "AssertionError" in result.stdout, result.stdout[-3000:]
