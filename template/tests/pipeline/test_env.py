"""The app's environment files: what they hold, what they refuse, and the secrets' values."""

import pytest

from pipeline import PipelineError, env


def write(root, **files):
    (root / "env").mkdir(exist_ok=True)
    for name, text in files.items():
        (root / "env" / name.replace("_env", ".env")).write_text(text)


def test_an_environment_is_its_own_file_over_the_shared_one(tmp_path):
    write(tmp_path, app_env="# shared\nLOG_TO_STDOUT=1\nMAIL_PORT=25\n\n",
          staging_env="MAIL_PORT=2525\nURL=https://staging.example.com/a=b\n")
    assert env.settings(tmp_path) == {"LOG_TO_STDOUT": "1", "MAIL_PORT": "25"}
    assert env.settings(tmp_path, "staging") == {
        "LOG_TO_STDOUT": "1", "MAIL_PORT": "2525", "URL": "https://staging.example.com/a=b"}
    assert env.settings(tmp_path, "production") == env.settings(tmp_path)  # no file: the shared
    assert env.render({"A": "1", "B": "x y"}) == "A=1\nB=x y\n"


def test_nothing_at_all_is_an_empty_environment(tmp_path):
    assert env.settings(tmp_path, "staging") == {} and env.secret_names(tmp_path) == []
    assert env.check(tmp_path) == []


@pytest.mark.parametrize(("line", "message"), [
    ("LOG_TO_STDOUT", "env/app.env:2: expected NAME=value, got 'LOG_TO_STDOUT'"),
    ("export A=1", "env/app.env:2: expected NAME=value, got 'export A=1'"),
    ("A=1", "env/app.env:2: A is set twice: keep one"),
    ("PORT=5000", "env/app.env:2: PORT is set by the image or the deploy: remove it"),
    ('B="x"', "env/app.env:2: B's value is quoted: write it unquoted (every tool reads the value "
              "literally)"),
    ("B=$HOME/x", "env/app.env:2: B's value has a $, a ' #' or spaces around it, which Compose "
                  "reads otherwise than Docker: write the value alone"),
    ("B=1 # one", "env/app.env:2: B's value has a $, a ' #' or spaces around it, which Compose "
                  "reads otherwise than Docker: write the value alone"),
])
def test_a_bad_line_is_refused_naming_file_and_line(tmp_path, line, message):
    write(tmp_path, app_env=f"A=1\n{line}\n")
    with pytest.raises(PipelineError) as error:
        env.settings(tmp_path)
    assert str(error.value) == message


@pytest.mark.parametrize(("setting", "why"), [
    ("SECRET_KEY=d1f0a8c2e5b7", "its name says it is a secret"),
    ("MAIL_PASSWORD=hunter22", "its name says it is a secret"),
    ("STRIPE_API_KEY=abc123def456", "its name says it is a secret"),
    ("DATABASE_URL=postgresql://app:s3cret@db:5432/app", "its value is a URL with a password"),
    ("UPSTREAM=ghp_" + "a" * 36, "its value is a GitHub token"),
    ("ID=AKIA" + "ABCDEFGHIJKLMNOP", "its value is an AWS access key"),
])
def test_a_credential_in_a_committed_file_is_refused(tmp_path, setting, why):
    write(tmp_path, production_env=f"LOG_TO_STDOUT=1\n{setting}\n")
    key = setting.split("=")[0]
    with pytest.raises(PipelineError) as error:
        env.check(tmp_path)
    assert str(error.value) == (
        f"env/production.env: {key} looks like a credential ({why}): list {key} in env/secrets "
        "and give its value at deploy time, never in a committed file")


@pytest.mark.parametrize("setting", [
    "DATABASE_URL=sqlite:////app/src/instance/app.db", "MAIL_USE_TLS=true", "TOKEN_TTL=3600",
    "SECRET_KEY_ROTATION=off", "REDIS_URL=redis://cache:6379/0", "PASSWORD_MIN_LENGTH=12",
    "POSTS_PER_PAGE=25", "LANGUAGES=en,es", "SESSION_COOKIE_SECURE=",
])
def test_settings_that_only_sound_secret_pass(tmp_path, setting):
    write(tmp_path, app_env=setting + "\n", secrets="SECRET_KEY\n")
    assert env.check(tmp_path) == ["env/secrets", "env/app.env"]


def test_a_secret_is_never_a_setting_too(tmp_path):
    write(tmp_path, app_env="MAIL_SERVER=smtp\n", staging_env="MAIL_SERVER_KEY_ID=1\n",
          secrets="# mail\nMAIL_SERVER  # the relay\n")
    with pytest.raises(PipelineError, match=r"^env/app.env: MAIL_SERVER is a secret \(env/"
                                            r"secrets\): remove it here$"):
        env.check(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("SECRET KEY\n", "env/secrets:1: expected one secret's NAME a line, got 'SECRET KEY'"),
    ("A\nA\n", "env/secrets:2: A is listed twice: keep one"),
    ("APP\n", "env/secrets:1: APP is set by the image or the deploy"),
])
def test_a_bad_secrets_list_is_refused(tmp_path, text, message):
    write(tmp_path, secrets=text)
    with pytest.raises(PipelineError) as error:
        env.secret_names(tmp_path)
    assert str(error.value) == message


def test_secret_values_come_from_the_callers_environment(tmp_path):
    write(tmp_path, secrets="SECRET_KEY\nMAIL_PASSWORD\n")
    assert env.values(tmp_path, {"SECRET_KEY": "k", "MAIL_PASSWORD": "p", "OTHER": "o"}) == {
        "SECRET_KEY": "k", "MAIL_PASSWORD": "p"}
    with pytest.raises(PipelineError) as error:
        env.values(tmp_path, {"SECRET_KEY": "k", "MAIL_PASSWORD": ""})
    assert str(error.value) == ("secret MAIL_PASSWORD is not set: give it as MAIL_PASSWORD=... in "
                                "the deploy's environment (env/secrets lists it); nothing was "
                                "deployed")
    # deploy.yml's GitHub secrets, as one JSON object; the caller's own variable first.
    passed = {"APP_SECRETS": '{"SECRET_KEY": "g", "MAIL_PASSWORD": "h", "DEPLOY_HOST": "x"}'}
    assert env.values(tmp_path, passed) == {"SECRET_KEY": "g", "MAIL_PASSWORD": "h"}
    assert env.values(tmp_path, {**passed, "SECRET_KEY": "k"})["SECRET_KEY"] == "k"
    made, again = env.stand_ins(tmp_path), env.stand_ins(tmp_path)
    assert set(made) == {"SECRET_KEY", "MAIL_PASSWORD"} and made != again
    assert all(len(value) >= 32 for value in made.values())


def test_the_projects_own_files_pass():
    assert "env/app.env" in env.check(env.Path("."))
