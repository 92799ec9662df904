"""The sample app's fixtures: make adopt removes them with the sample (src/app/)."""

import pytest

from app import create_app


@pytest.fixture
def app():
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
