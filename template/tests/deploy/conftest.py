import pytest


@pytest.fixture
def app(tmp_path):
    """What the deploy reads of an app beside the manifests: settings (production's its own), a
    secret's name, a release and a worker."""
    (tmp_path / "env").mkdir()
    (tmp_path / "env/app.env").write_text("LOG_TO_STDOUT=1\nMAIL_PORT=25\n")
    for environment in ("staging", "production"):
        (tmp_path / f"env/{environment}.env").write_text("MAIL_PORT=2525\n")
    (tmp_path / "env/secrets").write_text("SECRET_KEY\n")
    (tmp_path / "Procfile").write_text("release: flask db upgrade\nworker: rq worker tasks\n")
    return tmp_path
