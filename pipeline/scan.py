"""The scan verdict: Trivy's exit code and JSON report turned into pass, fail or broken.

Trivy exits 1 on fatal errors as well, so the pipeline asks it for a distinct exit code when it
finds something; anything else non-zero means the scanner itself broke.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline import PipelineError

CONFIG = Path(__file__).parents[1] / "trivy.yaml"


def found_exit_code(config: Path = CONFIG) -> int:
    """The exit code trivy.yaml gives Trivy for findings; 0 or 1 would hide a broken scanner."""
    match = re.search(r"^exit-code:\s*(\d+)\s*$", config.read_text(), re.MULTILINE)
    code = int(match[1]) if match else 0
    if code in (0, 1):
        raise PipelineError(f"{config.name}: set exit-code to 2 or more, so findings and a broken "
                            "scanner exit differently")
    return code


SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


@dataclass
class Verdict:
    status: str  # "passed", "failed" or "broken"
    message: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def exit_code(self) -> int:
        return {"passed": 0, "failed": 1, "broken": 2}[self.status]


def findings(report: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(kind, severity, one-line description) for each vulnerability and secret in a report."""
    for result in report.get("Results") or []:
        for vuln in result.get("Vulnerabilities") or []:
            fixed = vuln.get("FixedVersion") or "no fix"
            yield "vulnerability", vuln.get("Severity", "UNKNOWN"), (
                f"{vuln['PkgName']} {vuln['InstalledVersion']}: {vuln['VulnerabilityID']} "
                f"({vuln.get('Severity', 'UNKNOWN')}, fixed in {fixed})"
            )
        for secret in result.get("Secrets") or []:
            yield "secret", secret.get("Severity", "UNKNOWN"), (
                f"secret {secret.get('RuleID')} in {result.get('Target')}:{secret.get('StartLine')}"
            )


def verdict(exit_code: int, report_text: str, stderr: str = "") -> Verdict:
    """Decide from Trivy's exit code; count from its report, which must exist when it passed."""
    if exit_code not in (0, found_exit_code()):
        last = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
        return Verdict("broken", f"the scanner broke (trivy exited {exit_code}): {last}".rstrip())
    try:
        report = json.loads(report_text)
    except ValueError:
        return Verdict("broken", "the scanner broke: its JSON report is missing or unreadable")
    if not isinstance(report, dict):
        return Verdict("broken", "the scanner broke: its report is not a Trivy JSON report")
    items = list(findings(report))
    counts = Counter(severity for _, severity, _ in items)
    if exit_code == 0:
        return Verdict("passed", "no fixable HIGH or CRITICAL vulnerabilities, no secrets", counts)
    if not items:
        # "Found" by its exit code, nothing in its report: the report cannot be trusted, and
        # "failed: 0 finding(s)" would send people looking for a vulnerability that is not there.
        return Verdict("broken", f"the scanner broke: trivy exited {exit_code} (findings) but its "
                       "report lists none")
    shown = "; ".join(text for _, _, text in items[:5]) or "see the report"
    more = f" (and {len(items) - 5} more)" if len(items) > 5 else ""
    return Verdict("failed", f"{len(items)} finding(s) block the release: {shown}{more}", counts)


def check_ignores(text: str, today: datetime.date | None = None) -> list[str]:
    """Every accepted risk in .trivyignore.yaml needs a reason and an expiry date."""
    import yaml  # a dev dependency: CI's image job gets verdicts with a bare Python

    today = today or datetime.date.today()
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise PipelineError(".trivyignore.yaml must be a mapping of finding kinds to entry lists")
    expired = []
    for kind, entries in data.items():
        for entry in entries or []:
            ident = entry.get("id", "?")
            if not str(entry.get("statement", "")).strip():
                raise PipelineError(
                    f".trivyignore.yaml: {kind} {ident} has no statement: "
                    "say why the risk is accepted"
                )
            expires = entry.get("expired_at")
            if not isinstance(expires, datetime.date):
                raise PipelineError(
                    f".trivyignore.yaml: {kind} {ident} needs expired_at: YYYY-MM-DD "
                    "(an accepted risk is reviewed again by then)"
                )
            if expires <= today:
                expired.append(f"{ident} (expired {expires})")
    return expired
