"""`make adopt NAME=<image> APP=<package>`: a copy of this template becomes the adopter's project.
What only proves the template goes (template/, its CI and its one-time workflow); with another
package, the sample app and its tests go too; the image name and the package are each written
once, where the build reads them. A second run with the same names changes nothing."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import PipelineError, base
from pipeline.gitref import git

# What only proves the template: its own tests, benchmark and CI machine, its CI entry point, the
# workflow that adopts a repository made from it on GitHub.
TEMPLATE = ("template", ".ci", ".github/workflows/adopt.yml")
# The sample is the package src/app.
SAMPLE = "app"
# The first line of each of the sample's own test files, and the line after which smoke.txt
# holds the sample's requests.
SAMPLE_MARK = "make adopt removes"
SMOKE_MARK = f"# The sample's requests ({SAMPLE_MARK} them):\n"
# The README's parts about the template itself: blocks, and lines that end with a marker.
README_BLOCK = re.compile(r"^ *<!-- template:start -->\n.*?^ *<!-- template:end -->\n", re.S | re.M)
README_LINE = re.compile(r"^.*<!-- template -->\n", re.M)
NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Where the names are written, each once.
IMAGE_LINE = re.compile(r"^IMAGE \?= (\S+)$", re.M)


@dataclass
class Plan:
    """Paths to delete and files to rewrite, relative to the project's root."""

    delete: list[str] = field(default_factory=list)
    write: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.delete or self.write)


def check(root: Path, name: str, app: str) -> None:
    if not NAME.fullmatch(name):
        raise PipelineError(f"NAME={name!r} is not an image name: lowercase letters, digits and "
                            "separators (. _ -), e.g. NAME=my-app")
    if app in {"server", "pipeline", "tests", "scripts", "template"}:
        raise PipelineError(f"APP={app!r} is a name the template's own folders take: rename "
                            "your package")
    if not PACKAGE.fullmatch(app) or not base.source(root, app):
        raise PipelineError(f"APP={app!r}: no package {base.SOURCE}/{app}/ (a folder with "
                            "__init__.py) or module here: add your app there, commit it, then run "
                            "make adopt again")


def sample_files(root: Path) -> list[str]:
    """The sample's test files: those whose first line says make adopt removes them."""
    tests = root / "tests"
    found = [p for p in sorted(tests.glob("**/*.py")) if SAMPLE_MARK in first_line(p)]
    return [str(p.relative_to(root)) for p in found]


def first_line(path: Path) -> str:
    with path.open() as f:
        return f.readline()


def readme(text: str, name: str) -> str:
    """The README without its template parts, headed with the project's name (the template's
    title is in its first block)."""
    kept = README_LINE.sub("", README_BLOCK.sub("", text))
    if kept == text:
        return text
    return f"# {name}\n\n" + kept.lstrip("\n")


def plan(root: Path, name: str, app: str) -> Plan:
    made = Plan(delete=[p for p in TEMPLATE if (root / p).exists()])
    if app != SAMPLE:
        sample = f"{base.SOURCE}/{SAMPLE}"
        made.delete += [sample] if (root / sample).exists() else []
        made.delete += sample_files(root)
        smoke = root / "smoke.txt"
        if smoke.exists():
            text = smoke.read_text()
            kept = text.split(SMOKE_MARK, 1)[0]
            if kept != text:
                made.write["smoke.txt"] = kept
    old = base.app(root / "Dockerfile")
    if old != app:
        dockerfile = (root / "Dockerfile").read_text()
        made.write["Dockerfile"] = base.APP.sub(f"ARG APP={app}", dockerfile, count=1)
    if (root / "README.md").exists():
        text = (root / "README.md").read_text()
        if readme(text, name) != text:
            made.write["README.md"] = readme(text, name)
    makefile = (root / "Makefile").read_text()
    image = IMAGE_LINE.search(makefile)
    if not image:
        raise PipelineError("Makefile: no `IMAGE ?= <name>` line: restore it from the template")
    if image.group(1) != name:
        made.write["Makefile"] = IMAGE_LINE.sub(f"IMAGE ?= {name}", makefile, count=1)
    return made


def apply(root: Path, made: Plan) -> None:
    for path in made.delete:
        target = root / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    for path, text in made.write.items():
        (root / path).write_text(text)


def main(name: str, app: str, root: Path = Path(".")) -> list[str]:
    """What was done, one line each; nothing when already adopted with these names."""
    check(root, name, app)
    made = plan(root, name, app)
    if not made:
        return []
    if git("-C", str(root), "status", "--porcelain"):
        raise PipelineError("the work tree has changes: commit them first, so what make adopt "
                            "does is one reviewable change")
    apply(root, made)
    return [f"removed {path}" for path in made.delete] + [f"wrote {path}" for path in made.write]
