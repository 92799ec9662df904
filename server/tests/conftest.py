"""Apps the server serves in these tests: written here, so they hold for any adopted app."""

import sys
import textwrap
from pathlib import Path

import pytest

APPS = {
    # A Flask app package with a factory and an instance folder, like an adopter's.
    "xshop/__init__.py": """
        import os
        from flask import Flask

        def create_app():
            app = Flask(__name__)
            os.makedirs(app.instance_path, exist_ok=True)

            @app.get("/")
            def index():
                return "xshop " + os.environ.get("SHOP_NAME", "open")

            @app.post("/echo")
            def echo():
                from flask import request
                return request.get_data()

            @app.get("/healthz")
            def own_health():
                return "the app's own", 500

            return app
        """,
    # A bare WSGI callable, in a module of another package.
    "xplain/__init__.py": "",
    "xplain/serve.py": """
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/xplain")])
            return [b"xplain"]

        def build(greeting="built"):
            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/xplain")])
                return [greeting.encode()]
            return app

        value = 42
        """,
    # A module whose own import fails: its error, not "no module".
    "xplain/broken.py": "import nosuch  # noqa\n",
}


@pytest.fixture(scope="session")
def apps(tmp_path_factory):
    root = tmp_path_factory.mktemp("apps")
    for name, text in APPS.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def importable(apps, monkeypatch):
    monkeypatch.syspath_prepend(str(apps))
    yield apps
    for name in [m for m in sys.modules if m.split(".")[0] in ("xshop", "xplain")]:
        del sys.modules[name]


def pytest_collection_modifyitems(items):
    """The server's own tests: a warning is an error (an app's tests keep them warnings)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("error"))
