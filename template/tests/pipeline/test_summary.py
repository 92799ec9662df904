"""The run's summary: what happened, "tags pushed" only where something was pushed, and no error of
its own when the stage that writes its inputs failed."""

import json
import subprocess
import sys
from pathlib import Path

from pipeline.__main__ import main

ROOT = Path(__file__).parents[3]
REPORT = {"Results": [{"Vulnerabilities": [
    {"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1", "FixedVersion": "2",
     "Severity": "HIGH"},
    {"VulnerabilityID": "CVE-2", "PkgName": "q", "InstalledVersion": "1", "Severity": "LOW"}]}]}


def summary(capsys, *args):
    assert main(["summary", *args]) == 0
    return capsys.readouterr().out


def test_a_pull_request_job_reports_its_stages_and_no_tags(tmp_path, capsys):
    report = tmp_path / "trivy.json"
    report.write_text(json.dumps(REPORT))
    out = summary(capsys, "--image", "ghcr.io/acme/shop", "--platform", "linux/amd64",
                  "--stage", "build=success", "--stage", "smoke=success", "--stage",
                  "scan=success", "--report", str(report),
                  "--published", str(tmp_path / "published.json"))
    assert "| build           | passed |" in out and "| smoke           | passed |" in out
    assert "| vulnerabilities | 1 HIGH, 1 LOW (fixable HIGH/CRITICAL gate) |" in out
    assert "tags pushed" not in out and "Stopped" not in out


def test_a_failed_build_is_one_clear_line_not_an_error(tmp_path, capsys):
    """Nothing exists yet when the build fails: no record, no report, no published.json."""
    out = summary(capsys, "--image", "ghcr.io/acme/shop", "--stage", "build=failure",
                  "--stage", "smoke=skipped", "--stage", "scan=skipped",
                  "--report", str(tmp_path / "missing.json"),
                  "--published", str(tmp_path / "missing.json"))
    assert "| smoke           | not run |" in out
    assert "| vulnerabilities | no report (the scan did not run or the scanner broke) |" in out
    assert out.rstrip().endswith("**Stopped at build**: see that step's log; nothing was tagged.")
    assert "tags pushed" not in out


def test_a_publishing_job_reports_the_tags_and_digest_it_pushed(tmp_path, capsys):
    published = tmp_path / "published.json"
    published.write_text(json.dumps({"digest": "sha256:" + "a" * 64, "tags": ["edge", "sha-1"]}))
    out = summary(capsys, "--image", "ghcr.io/acme/shop", "--stage", "publish=success",
                  "--published", str(published))
    assert "| tags pushed | edge sha-1 |" in out and "sha256:" + "a" * 64 in out


def test_an_unreadable_published_file_is_not_a_push(tmp_path, capsys):
    published = tmp_path / "published.json"
    published.write_text("{truncated")
    out = summary(capsys, "--image", "x", "--stage", "publish=failure", "--published",
                  str(published))
    assert "tags pushed" not in out and "**Stopped at publish**" in out


def test_the_command_runs_with_a_bare_python(tmp_path):
    """CI's `if: always()` summary step runs it before anything is installed."""
    result = subprocess.run([sys.executable, "-E", "-s", "-m", "pipeline", "summary",
                             "--image", "x", "--stage", "build=cancelled"], cwd=ROOT,
                            capture_output=True, text=True, env={})
    assert result.returncode == 0, result.stderr
    assert "| build | cancelled |" in result.stdout and "vulnerabilities" not in result.stdout
