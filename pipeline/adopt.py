"""`make adopt NAME=<image> APP=<target>`: a copy of this template becomes the adopter's project.
What only proves the template goes (template/, its CI and its one-time workflow); unless the
sample itself is what is served, the sample's files go too, but only those still as the template
shipped them: anything else, a package of the sample's name included, is the adopter's. The image
name and the app are each written once, where the build reads them. A second run with the same
names changes nothing."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import PipelineError, base
from pipeline.gitref import git
from server.app import TARGET, package

# What only proves the template: its own tests, benchmark and CI machine, its CI entry point, the
# workflow that adopts a repository made from it on GitHub.
TEMPLATE = ("template", ".ci", ".github/workflows/adopt.yml")
# The sample's files as the template ships them (a test keeps this in step with the tree): a
# file that differs, or any other file, is the adopter's and stays.
SAMPLE = {
    "src/app/__init__.py": "7c6c436a9c1a68ac66c1ed16d0fc5adae7008ef7168f820e5c2d4ac0062280f9",
    "src/app/errors.py": "92a801a64951668e7f19d93a2d92591e4952460b3a41f9ad543ff155ddb99135",
    "src/app/greeting.py": "d3738a0126da1151dbca214abe67bafc9b89878fbe57d4756b94021b1ff7a9f6",
    "tests/conftest.py": "d347e9781e62b7b5ac6b48939a4297e5c34f827d3a6140beb011f0b96724fa94",
    "tests/test_errors.py": "808a9c80527609eff89be53c28bf821a042d3bca2ee9aeb4789a991d8a1bbebd",
    "tests/test_factory.py": "6a182e7ce6f15461a98c363ddc6da714253a49f67a7e3f0fb0d80ac593914e03",
    "tests/test_greeting.py": "326da7d4cb27c25047cf0b549275408cf6ecd94e9bfc2c3ba920ea753b9c4733",
}
# The sample's factory: while it is unchanged and served, the sample is the app.
SAMPLE_APP = "src/app/__init__.py"
# smoke.txt's sample requests: the marker line, then these.
SMOKE_MARK = "# The sample's requests (make adopt removes them):"
SMOKE_LINES = ("/ Hello World!", "/nope 404")
# The README's parts about the template itself: blocks, and lines that end with a marker.
README_BLOCK = re.compile(r"^ *<!-- template:start -->\n.*?^ *<!-- template:end -->\n", re.S | re.M)
README_LINE = re.compile(r"^.*<!-- template -->\n", re.M)
NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
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
    if not TARGET.fullmatch(app):
        raise PipelineError(f"APP={app!r}: expected package, module, module:name or "
                            "module:factory(), e.g. APP=shop or APP=shop:app")
    top = package(app)
    if top in {"server", "pipeline", "tests", "scripts", "template"}:
        raise PipelineError(f"APP={app!r}: {top} is a name the template's own folders take: "
                            "rename your package")
    if not base.source(root, top):
        raise PipelineError(f"APP={app!r}: no package {base.SOURCE}/{top}/ (a folder with "
                            f"__init__.py) or module {base.SOURCE}/{top}.py here: add your app "
                            "there, commit it, then run make adopt again")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped(root: Path, path: str) -> bool:
    """The sample's file, still as the template ships it."""
    found = root / path
    return found.is_file() and digest(found) == SAMPLE[path]


def serves_sample(root: Path, app: str) -> bool:
    return package(app) == "app" and shipped(root, SAMPLE_APP)


def smoke(text: str) -> str:
    """smoke.txt without the sample's requests; the adopter's lines, wherever, stay."""
    lines = text.splitlines(keepends=True)
    sample = {SMOKE_MARK, *SMOKE_LINES}
    return "".join(line for line in lines if line.rstrip("\n") not in sample)


def readme(text: str, name: str) -> str:
    """The README without its template parts, headed with the project's name (the template's
    title is in its first block)."""
    kept = README_LINE.sub("", README_BLOCK.sub("", text))
    if kept == text:
        return text
    return f"# {name}\n\n" + kept.lstrip("\n")


def plan(root: Path, name: str, app: str) -> Plan:
    made = Plan(delete=[p for p in TEMPLATE if (root / p).exists()])
    if not serves_sample(root, app):
        made.delete += [path for path in SAMPLE if shipped(root, path)]
        requests = root / "smoke.txt"
        if requests.exists() and smoke(requests.read_text()) != requests.read_text():
            made.write["smoke.txt"] = smoke(requests.read_text())
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
            prune(root, target.parent)
    for path, text in made.write.items():
        (root / path).write_text(text)


def prune(root: Path, folder: Path) -> None:
    """A folder the sample's files leave empty (but for bytecode) goes too, and its parents."""
    while folder != root and folder.is_dir():
        left = [p for p in folder.iterdir() if p.name != "__pycache__"]
        if left:
            return
        shutil.rmtree(folder)
        folder = folder.parent


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
