import pytest

from app import create_app

# The registry and Trivy DB fixtures, shared by the pipeline's and the workflows' runs.
pytest_plugins = ["tests.support.registry"]


@pytest.fixture
def app():
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
