"""The well-kept checkers, offline: zizmor, GitHub's workflow and Dependabot schemas, hadolint."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
BIN = Path(sys.executable).parent


def run(*command):
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True,
                          text=True)


def test_zizmor_finds_nothing():
    result = run("zizmor", "--offline", "--persona", "auditor", ".github/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_does_find_a_problem(tmp_path):
    """The check is live: an unpinned action in a copy is reported, and so is `./` for the
    reusable workflow once its in-place ignore comment is gone."""
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    text = (ROOT / ".github/workflows/ci.yml").read_text()
    (workflows / "ci.yml").write_text(text.replace(
        "uses: ./.github/workflows/image.yml", "uses: example/workflows/.github/workflows/"
        "image.yml@v1"))
    result = run("zizmor", "--offline", str(tmp_path / ".github"))
    assert result.returncode != 0 and "unpinned-uses" in result.stdout
    (workflows / "ci.yml").write_text(text.replace("# zizmor: ignore[self-repository]", "#"))
    (workflows / "image.yml").write_text((ROOT / ".github/workflows/image.yml").read_text())
    result = run("zizmor", "--offline", str(tmp_path / ".github"))
    assert result.returncode != 0 and "self-repository" in result.stdout


ZIZMOR_ENFORCES = [  # what the policy tests would otherwise check (tests/workflows/policy.py)
    ("artipacked", "image.yml", "        with:\n          persist-credentials: false\n", ""),
    ("dangerous-triggers", "ci.yml", "  pull_request:\n", "  pull_request_target:\n"),
    ("template-injection", "image.yml", "        run: scripts/publish.sh",
     "        run: echo ${{ env.ARTIFACTS }}; scripts/publish.sh"),
]


@pytest.mark.parametrize(("audit", "name", "old", "new"), ZIZMOR_ENFORCES,
                         ids=[case[0] for case in ZIZMOR_ENFORCES])
def test_zizmor_enforces_what_no_policy_rule_repeats(tmp_path, audit, name, old, new):
    """Persisted checkout credentials, pull_request_target and an expression pasted into a
    script are zizmor's to catch (auditor persona, as `make lint` runs it)."""
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        (workflows / path.name).write_text(path.read_text())
    text = (workflows / name).read_text()
    assert old in text
    (workflows / name).write_text(text.replace(old, new, 1))
    result = run("zizmor", "--offline", "--persona", "auditor", str(tmp_path / ".github"))
    assert result.returncode != 0 and f"[{audit}]" in result.stdout, result.stdout


def test_actionlint_finds_nothing():
    result = run("actionlint", "-no-color")
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_find_a_problem(tmp_path):
    """Live too: a context property that does not exist, in a copy, is reported."""
    broken = tmp_path / "image.yml"
    broken.write_text((ROOT / ".github/workflows/image.yml").read_text().replace(
        "github.repository_visibility", "github.repository_visibilty"))
    result = run("actionlint", "-no-color", str(broken))
    assert result.returncode != 0 and "repository_visibilty" in result.stdout


@pytest.mark.parametrize(("schema", "files"), [
    ("vendor.github-workflows", sorted(str(p) for p in (ROOT / ".github/workflows").glob("*.yml"))),
    ("vendor.dependabot", [str(ROOT / ".github/dependabot.yml")]),
])
def test_schemas(schema, files):
    result = run("check-jsonschema", "--builtin-schema", schema, *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_catches_a_typo(tmp_path):
    broken = tmp_path / "ci.yml"
    broken.write_text((ROOT / ".github/workflows/ci.yml").read_text().replace("jobs:", "job:"))
    assert run("check-jsonschema", "--builtin-schema", "vendor.github-workflows",
               str(broken)).returncode != 0


def test_hadolint_is_clean():
    result = run("hadolint", "Dockerfile")
    assert result.returncode == 0, result.stdout


def test_dependabot_covers_pip_actions_and_docker():
    import yaml

    config = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"pip", "github-actions", "docker"}
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly" and update["groups"]
