import os
import re

import pytest

from template.tests.docker import engine_or_fail
from template.tests.workflows.harness import Repository
from template.tests.workflows.mutations import MUTATIONS


@pytest.fixture
def shop(tmp_path, registry, trivy_db, request):
    """acme/<test>, a private repository made from this template, pushing to the loopback
    registry (a repository of its own there); the runner's base image and Trivy DB are the
    machine's stand-ins."""
    engine_or_fail()
    env = {"TRIVY_DB_REPOSITORY": trivy_db}
    if os.environ.get("PYTHON_IMAGE"):
        env["PYTHON_IMAGE"] = os.environ["PYTHON_IMAGE"]
    work = tmp_path / "github"
    work.mkdir()
    name = "acme/" + re.sub(r"[^a-z0-9]+", "-", request.node.name[5:].lower())[:40].strip("-")
    repository = Repository.copy_of_this_tree(name, tmp_path / "shop", work, registry.address,
                                              env)
    mutated = os.environ.get("WORKFLOW_MUTATION")  # test_mutations.py: break it first
    if mutated:
        (mutation,) = [m for m in MUTATIONS if m.id == mutated]
        repository.edit(mutation.file, mutation.old, mutation.new)
        repository.commit(f"mutation: {mutated}")
    return repository
