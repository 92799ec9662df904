import shutil
import subprocess
from pathlib import Path

import pytest

from template.tests.pipeline.conftest import Project, copy_of_this_tree

# The blog is an adopter's project, dropped into a copy of the template: never collected here.
collect_ignore = ["blog", "journal"]
BLOG = Path(__file__).parent / "blog"


@pytest.fixture(scope="session")
def pristine(tmp_path_factory):
    return copy_of_this_tree(tmp_path_factory.mktemp("template") / "shop")


@pytest.fixture
def template(pristine, tmp_path):
    """A repository made from this template, as "Use this template" or a clone gives it: a local
    clone of one copy of this tree, which is many times faster than copying it again."""
    subprocess.run(["git", "clone", "-q", str(pristine.path), str(tmp_path / "shop")],
                   check=True, capture_output=True)
    return Project(tmp_path / "shop", dict(pristine.env))


def drop_in_the_blog(project):
    """What an adopter does before make adopt: their package and their tests, committed."""
    shutil.copytree(BLOG / "src/blog", project.path / "src/blog")
    shutil.copytree(BLOG / "tests", project.path / "tests", dirs_exist_ok=True)
    project.commit("The blog")
