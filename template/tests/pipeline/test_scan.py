import datetime
import json

import pytest

from pipeline import PipelineError
from pipeline.scan import check_ignores, found_exit_code, verdict

FOUND_EXIT_CODE = found_exit_code()  # trivy.yaml's

REPORT = {
    "Results": [
        {
            "Target": "Python",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "GHSA-test-0001",
                    "PkgName": "flask",
                    "InstalledVersion": "3.0.0",
                    "FixedVersion": "3.0.1",
                    "Severity": "HIGH",
                }
            ],
        },
        {
            "Target": "/app/settings.py",
            "Secrets": [{"RuleID": "aws-access-key-id", "Severity": "CRITICAL", "StartLine": 3}],
        },
        {"Target": "debian", "Vulnerabilities": None},
    ]
}


def test_found_exit_code_is_not_trivys_error_code(tmp_path):
    assert FOUND_EXIT_CODE not in (0, 1)
    for text in ("exit-code: 1\n", "severity: [HIGH]\n"):
        (tmp_path / "trivy.yaml").write_text(text)
        with pytest.raises(PipelineError, match="trivy.yaml: set exit-code to 2 or more"):
            found_exit_code(tmp_path / "trivy.yaml")


def test_clean_scan_passes():
    result = verdict(0, json.dumps({"Results": [{"Target": "x"}]}))
    assert (result.status, result.exit_code, sum(result.counts.values())) == ("passed", 0, 0)


def test_findings_fail_and_are_named():
    result = verdict(FOUND_EXIT_CODE, json.dumps(REPORT))
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "flask 3.0.0: GHSA-test-0001 (HIGH, fixed in 3.0.1)" in result.message
    assert "secret aws-access-key-id in /app/settings.py:3" in result.message
    assert result.counts == {"HIGH": 1, "CRITICAL": 1}


def test_long_lists_are_cut():
    vulns = [
        {"VulnerabilityID": f"CVE-{i}", "PkgName": "p", "InstalledVersion": "1", "Severity": "HIGH"}
        for i in range(7)
    ]
    result = verdict(FOUND_EXIT_CODE, json.dumps({"Results": [{"Vulnerabilities": vulns}]}))
    assert result.message.endswith("(and 2 more)")
    assert "fixed in no fix" in result.message


@pytest.mark.parametrize("code", [1, 2, 124, 137])
def test_other_exit_codes_mean_the_scanner_broke(code):
    stderr = "2026-11-25T00:00:00Z\tFATAL\tinit error: DB error: failed to download"
    result = verdict(code, "", stderr)
    assert (result.status, result.exit_code) == ("broken", 2)
    assert result.message == (
        f"the scanner broke (trivy exited {code}): "
        "2026-11-25T00:00:00Z\tFATAL\tinit error: DB error: failed to download"
    )


def test_a_pass_without_a_report_is_not_a_pass():
    assert verdict(0, "").status == "broken"


TODAY = datetime.date(2026, 11, 25)


def test_ignores_need_a_statement():
    with pytest.raises(PipelineError, match="CVE-1 has no statement"):
        check_ignores("vulnerabilities:\n  - id: CVE-1\n    expired_at: 2027-01-01\n", TODAY)


@pytest.mark.parametrize("expiry", ["", "    expired_at: soon\n"])
def test_ignores_need_an_expiry(expiry):
    text = "vulnerabilities:\n  - id: CVE-1\n    statement: not reachable\n" + expiry
    with pytest.raises(PipelineError, match="CVE-1 needs expired_at: YYYY-MM-DD"):
        check_ignores(text, TODAY)


def test_expired_ignores_are_reported():
    text = (
        "vulnerabilities:\n"
        "  - {id: CVE-1, statement: a, expired_at: 2026-11-25}\n"
        "  - {id: CVE-2, statement: b, expired_at: 2026-11-26}\n"
        "secrets:\n  - {id: aws-access-key-id, statement: test key, expired_at: 2020-01-01}\n"
    )
    assert check_ignores(text, TODAY) == [
        "CVE-1 (expired 2026-11-25)",
        "aws-access-key-id (expired 2020-01-01)",
    ]


def test_ignores_must_be_a_mapping():
    with pytest.raises(PipelineError, match="must be a mapping"):
        check_ignores("- CVE-1\n", TODAY)
    assert check_ignores("", TODAY) == []


@pytest.mark.parametrize("report", [{"Results": []}, {"Results": [{"Target": "x"}]}, {}])
def test_found_without_findings_is_broken_not_failed(report):
    """Trivy's "found" exit code with a report that lists nothing: the report is not to be
    trusted, and "failed: 0 finding(s)" would contradict itself."""
    result = verdict(FOUND_EXIT_CODE, json.dumps(report))
    assert result.status == "broken" and "report lists none" in result.message


@pytest.mark.parametrize("text", ["[]", "null", '"report"'])
def test_a_report_that_is_not_an_object_is_broken(text):
    assert verdict(0, text).status == "broken" and verdict(FOUND_EXIT_CODE, text).status == "broken"
