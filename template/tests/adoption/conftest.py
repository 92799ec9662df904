import shutil
from pathlib import Path

import pytest

from template.tests.pipeline.conftest import copy_of_this_tree

# The blog is an adopter's project, dropped into a copy of the template: never collected here.
collect_ignore = ["blog", "journal"]
BLOG = Path(__file__).parent / "blog"


@pytest.fixture
def template(tmp_path):
    """A repository made from this template, as "Use this template" or a clone gives it."""
    return copy_of_this_tree(tmp_path / "shop")


def drop_in_the_blog(project):
    """What an adopter does before make adopt: their package and their tests, committed."""
    shutil.copytree(BLOG / "src/blog", project.path / "src/blog")
    shutil.copytree(BLOG / "tests", project.path / "tests", dirs_exist_ok=True)
    project.commit("The blog")
