"""The table that ends a run, for `make pipeline` and for each job's $GITHUB_STEP_SUMMARY.

It reports what happened and nothing more: a stage that did not run says so, "tags pushed"
appears only when something was pushed, and missing files (the build failed before writing
them) never turn the summary itself into an error. Standard library only: CI runs it with a bare
Python, in `if: always()` steps.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import scan

# A step's outcome as GitHub reports it (steps.<id>.outcome), in words a reader acts on.
OUTCOMES = {
    "success": "passed",
    "failure": "FAILED",
    "cancelled": "cancelled",
    "skipped": "not run",
    "": "not run",
}


@dataclass
class Run:
    image: str = ""
    platform: str = ""
    stages: list[tuple[str, str]] = field(default_factory=list)  # (stage, outcome), in order
    scanned: bool = False  # the job scans: its reports (or their absence) are worth a row
    reports: list[str | None] = field(default_factory=list)  # Trivy's JSON, None where missing
    platforms: list[tuple[str, str]] = field(default_factory=list)  # from the run record
    published: dict[str, Any] | None = None  # published.json, in jobs that pushed


def read_json(path: str) -> Any:
    """A file's JSON, or None when it is missing or unreadable (the stage that writes it
    failed): the summary must not fail in its turn."""
    try:
        return json.loads(Path(path).read_text()) if path else None
    except (OSError, ValueError):
        return None


def vulnerabilities(reports: list[str | None]) -> str:
    results = [scan.verdict(0, report) for report in reports if report is not None]
    if not reports or len(results) < len(reports) or any(r.status == "broken" for r in results):
        return "no report (the scan did not run or the scanner broke)"
    counts = sum((result.counts for result in results), Counter[str]())
    found = ", ".join(f"{counts[s]} {s}" for s in scan.SEVERITIES if counts[s]) or "none found"
    return found + " (fixable HIGH/CRITICAL gate)"


def pushed_tags(run: Run) -> str | None:
    """The tags this run pushed, or None when it pushed nothing (the row is then left out)."""
    if run.published is not None:
        tags = run.published.get("tags") or []
        return " ".join(tags) if isinstance(tags, list) else str(tags)
    return None


def rows(run: Run) -> list[tuple[str, str]]:
    table = [("image", run.image or "-")]
    if run.platform:
        table.append(("platform", run.platform))
    table += [(stage, OUTCOMES.get(outcome, outcome)) for stage, outcome in run.stages]
    table += run.platforms
    digest = (run.published or {}).get("digest")
    if digest:
        table.append(("digest", str(digest)))
    if run.scanned:
        table.append(("vulnerabilities", vulnerabilities(run.reports)))
    tags = pushed_tags(run)
    if tags is not None:
        table.append(("tags pushed", tags or "none"))
    return table


def render(run: Run) -> str:
    table = rows(run)
    width = max(len(name) for name, _ in table)
    lines = [f"| {'':{width}} | result |", f"|{'-' * (width + 2)}|--------|"]
    lines += [f"| {name:{width}} | {value} |" for name, value in table]
    failed = next((stage for stage, outcome in run.stages if outcome in ("failure",
                                                                         "cancelled")), None)
    if failed:
        pushed = "" if pushed_tags(run) else "; nothing was tagged"
        lines += ["", f"**Stopped at {failed}**: see that step's log{pushed}."]
    return "\n".join(lines)


def platforms(record: Any) -> list[tuple[str, str]]:
    """A row per platform of a run record: what was pushed and which gates it passed."""
    found = record.get("platforms") if isinstance(record, dict) else None
    return [(str(p.get("platform")), f"{p.get('digest') or p.get('ref')}; passed: "
             f"{', '.join(p.get('passed') or []) or 'nothing yet'}")
            for p in found or [] if isinstance(p, dict)]


def from_args(image: str, platform: str, stages: list[str], reports: list[str], published: str,
              record: str = "") -> Run:
    """The CLI's arguments: `--stage NAME=OUTCOME` in order, file paths that may not exist."""
    parsed = []
    for stage in stages:
        name, _, outcome = stage.partition("=")
        parsed.append((name, outcome))
    texts = [Path(r).read_text() if Path(r).is_file() else None for r in reports]
    done = read_json(published)
    return Run(image=image, platform=platform, stages=parsed, scanned=bool(reports),
               reports=texts, platforms=platforms(read_json(record)),
               published=done if isinstance(done, dict) else None)
