"""make adopt, on copies of this repository: what goes, what is written, what is refused."""

import hashlib
import subprocess

import pytest

from pipeline import adopt as adoption
from template.tests.adoption.conftest import drop_in_the_blog

TEMPLATE_ONLY = ["template", ".ci", ".github/workflows/adopt.yml"]


def adopt(project, *args):
    return subprocess.run(["make", "--no-print-directory", "adopt", *args], cwd=project.path,
                          capture_output=True, text=True)


def tree(project):
    """Every file but git's own and Python's bytecode (ignored, and written by running make)."""
    return {p.relative_to(project.path).as_posix(): p.read_bytes()
            for p in project.path.rglob("*")
            if p.is_file() and not {".git", "__pycache__"} & set(p.parts)}


def test_adopting_the_sample_removes_only_what_proves_the_template(template):
    done = adopt(template, "NAME=shop")
    assert done.returncode == 0, done.stderr
    for path in TEMPLATE_ONLY:
        assert not (template.path / path).exists(), path
        assert f"removed {path}" in done.stdout
    assert "IMAGE ?= shop\n" in (template.path / "Makefile").read_text()
    assert (template.path / "src/app/greeting.py").exists()  # the sample stays: APP is still app
    assert "/ Hello World!" in (template.path / "smoke.txt").read_text()
    assert "\nNext:\n" in done.stdout and "make lock" in done.stdout
    readme = (template.path / "README.md").read_text()
    assert readme.startswith("# shop\n\n## Quick start\n") and "<!-- template" not in readme
    assert "## Benchmarks" not in readme and "make engine" not in readme
    assert "## Adopting the template" in readme and "## The pipeline" in readme
    # Nothing of the template's own is left for the project's tools to trip on.
    assert subprocess.run(["make", "-n", "test", "lint", "pipeline"], cwd=template.path,
                          capture_output=True).returncode == 0
    template.commit("adopted")
    before = tree(template)
    again = adopt(template, "NAME=shop")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "adopted already as shop, serving app: nothing to change"
    assert tree(template) == before


def test_adopting_another_app_removes_the_sample_and_names_the_package(template):
    drop_in_the_blog(template)
    (template.path / "tests/conftest.py").write_text("# the blog's own conftest\n")
    template.commit("the blog's conftest replaces the sample's")
    done = adopt(template, "NAME=journal", "APP=blog")
    assert done.returncode == 0, done.stderr
    assert not (template.path / "src/app").exists()
    for path in adoption.SAMPLE:
        assert (f"removed {path}" in done.stdout) is (path != "tests/conftest.py"), path
    tests = sorted(p.name for p in (template.path / "tests").iterdir())
    assert tests == ["conftest.py", "test_blog.py"]  # the sample's went, the blog's stayed
    assert (template.path / "tests/conftest.py").read_text() == "# the blog's own conftest\n"
    dockerfile = (template.path / "Dockerfile").read_text()
    assert "\nARG APP=blog\n" in dockerfile and "ARG APP=app" not in dockerfile
    smoke = (template.path / "smoke.txt").read_text()
    assert "Hello World" not in smoke and "/nope" not in smoke and smoke.startswith("# What")
    template.commit("adopted")
    # Each name once, outside the app's own code and tests and the README (the adopter's prose).
    assert grep(template, "blog") == ["Dockerfile:ARG APP=blog"]
    assert grep(template, "journal") == ["Makefile:IMAGE ?= journal"]
    assert adopt(template, "NAME=journal", "APP=blog").stdout.startswith("adopted already")


def grep(project, word):
    found = subprocess.run(["git", "grep", "-w", word, "--", ".", ":!src", ":!tests",
                            ":!README.md"], cwd=project.path, capture_output=True, text=True)
    return found.stdout.splitlines()


@pytest.mark.parametrize(("args", "message"), [
    (["NAME=blog", "APP=blogg:app"], "error: APP='blogg:app': no package src/blogg/ (a folder "
                                     "with __init__.py) or module src/blogg.py here: add your app "
                                     "there, commit it, then run make adopt again"),
    (["NAME=My Blog"], "error: NAME='My Blog' is not an image name: lowercase letters, digits "
                       "and separators (. _ -), e.g. NAME=my-app"),
    (["NAME=blog", "APP=server"], "error: APP='server': server is a name the template's own "
                                  "folders take: rename your package"),
    (["NAME=blog", "APP=blog app"], "error: APP='blog app': expected package, module, "
                                    "module:name or module:factory(), e.g. APP=shop or "
                                    "APP=shop:app"),
])
def test_a_wrong_name_is_one_line_and_changes_nothing(template, args, message):
    (template.path / "src/server").mkdir()
    (template.path / "src/server/__init__.py").touch()
    before = tree(template)
    done = adopt(template, *args)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[0] == message
    assert tree(template) == before


def test_a_tree_with_changes_is_refused(template):
    (template.path / "notes.txt").write_text("not committed\n")
    before = tree(template)
    done = adopt(template, "NAME=shop")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[0] == (
        "error: the work tree has changes: commit them first, so what make adopt does is one "
        "reviewable change")
    assert tree(template) == before


def test_adopt_in_process_names_what_it_did_and_then_nothing(template):
    """The same decisions without make, where coverage sees them."""
    from pipeline import PipelineError, adopt

    drop_in_the_blog(template)
    with pytest.raises(PipelineError, match=r"^APP='blogg': no package src/blogg/"):
        adopt.main("blog", "blogg", template.path)
    done = adopt.main("blog", "blog", template.path)
    assert "removed template" in done and "removed src/app/greeting.py" in done
    assert "wrote Dockerfile" in done
    assert "wrote README.md" in done and "wrote .dockerignore" not in done
    template.commit("adopted")
    assert adopt.main("blog", "blog", template.path) == []


def test_the_sample_as_shipped_is_what_adoption_knows():
    """make adopt removes a file only while its content is the sample's: the list is the tree's."""
    from pathlib import Path

    tree_ = {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in [*Path("src/app").glob("*.py"), *Path("tests").glob("*.py")]}
    assert adoption.SAMPLE == tree_


def test_an_app_whose_package_has_the_samples_name_keeps_every_file(template):
    """A package named app, merged over the sample by `cp -r app src/`, served by a root module:
    the sample's untouched files go, every file of the adopter's stays, a second run does
    nothing, and adopting with the package itself says so too."""
    src = template.path / "src"
    (src / "app/__init__.py").write_text(
        "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n")
    (src / "app/models.py").write_text("TABLES = []\n")
    (src / "app/errors").mkdir()
    (src / "app/errors/__init__.py").write_text("# the adopter's errors package\n")
    (src / "blog.py").write_text("from app import create_app\n\napp = create_app()\n")
    (template.path / "tests/test_factory.py").write_text("def test_mine():\n    pass\n")
    (template.path / "smoke.txt").write_text(
        (template.path / "smoke.txt").read_text() + "/login 200\n")
    template.commit("the blog, a package named app")
    ours = {path: data for path, data in tree(template).items()
            if path.startswith("src/") or path.startswith("tests/")}
    ours = {p: d for p, d in ours.items() if p not in adoption.SAMPLE or
            hashlib.sha256(d).hexdigest() != adoption.SAMPLE[p]}

    done = adopt(template, "NAME=blog", "APP=blog:app")
    assert done.returncode == 0, done.stderr
    removed = sorted(line.removeprefix("removed ") for line in done.stdout.splitlines()
                     if line.startswith("removed ")
                     and line.removeprefix("removed ") not in adoption.TEMPLATE)
    assert removed == ["src/app/errors.py", "src/app/greeting.py", "tests/conftest.py",
                       "tests/test_errors.py", "tests/test_greeting.py"]
    after = tree(template)
    assert all(after.get(path) == data for path, data in ours.items())
    smoke = (template.path / "smoke.txt").read_text()
    assert smoke.endswith("/login 200\n") and "Hello World" not in smoke and "/nope" not in smoke
    assert "\nARG APP=blog:app\n" in (template.path / "Dockerfile").read_text()
    template.commit("adopted")
    before = tree(template)
    again = adopt(template, "NAME=blog", "APP=blog:app")
    assert again.stdout.strip() == "adopted already as blog, serving blog:app: nothing to change"
    by_package = adopt(template, "NAME=blog", "APP=app")
    assert by_package.returncode == 0 and "removed" not in by_package.stdout
    assert set(tree(template)) == set(before)  # only the Dockerfile's ARG APP changed


@pytest.mark.parametrize("app", ["blog", "blog:app", "blog:create_app()",
                                 "blog:create_app('production')", "app.main:app", "journal"])
def test_every_form_the_server_serves_is_accepted(template, app):
    (template.path / "src/blog.py").write_text("app = None\n")
    (template.path / "src/journal").mkdir()
    (template.path / "src/journal/__init__.py").write_text("")
    template.commit("two apps")
    done = adopt(template, "NAME=blog", f"APP={app}")
    assert done.returncode == 0, done.stderr
    assert f"\nARG APP={app}\n" in (template.path / "Dockerfile").read_text()
