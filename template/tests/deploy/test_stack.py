"""The stack file the swarm deploy renders (no engine needed): the settings, the secrets as
Swarm secrets that never show their value, and a service per Procfile worker."""

import json
import re

import pytest
import yaml

from pipeline import PipelineError, swarm
from template.tests.docker import ROOT


@pytest.fixture
def project(app):
    return app


def render(project, environ, environment="staging"):
    chosen = swarm.plan(project, "r.example/shop@sha256:" + "a" * 64, environment,
                        f"shop-{environment}", environ)
    base = yaml.safe_load((ROOT / swarm.STACK_FILE).read_text())
    return chosen, swarm.render(base, chosen, ("10001", "10001"))


def test_the_web_service_gets_the_environments_settings_and_secrets_as_files(project):
    chosen, stack = render(project, {"SECRET_KEY": "s3cr3t-value"})
    web = stack["services"]["app"]
    assert web["environment"] == {
        "LOG_TO_STDOUT": "1", "MAIL_PORT": "2525", "SHARE_PORT": "1",
        "PORT": "${DEPLOY_PORT:?the deploy sets it, 8080 for production, 8081 for staging}"}
    name = chosen.secret_name("SECRET_KEY")
    assert name.startswith("shop-staging_SECRET_KEY_") and len(name) == 36
    assert stack["secrets"] == {"SECRET_KEY": {"external": True, "name": name}}
    assert web["secrets"] == [{"source": "SECRET_KEY", "target": "SECRET_KEY", "uid": "10001",
                               "gid": "10001", "mode": 0o400}]
    assert "s3cr3t-value" not in json.dumps(stack)


def test_a_new_value_is_a_new_secret_within_swarms_64_characters(project):
    first, _ = render(project, {"SECRET_KEY": "one"})
    again, _ = render(project, {"SECRET_KEY": "one"})
    other, _ = render(project, {"SECRET_KEY": "two"})
    assert first.secret_name("SECRET_KEY") == again.secret_name("SECRET_KEY")
    assert first.secret_name("SECRET_KEY") != other.secret_name("SECRET_KEY")
    long = swarm.Plan("r@sha256:" + "a" * 64, "staging", "a-very-long-project-name-" * 3,
                      {}, {"MAIL_PASSWORD_FOR_THE_RELAY": "x"}, first.processes)
    name = long.secret_name("MAIL_PASSWORD_FOR_THE_RELAY")
    assert len(name) == 64 and re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*[a-zA-Z0-9]", name)


def test_each_worker_is_the_web_service_running_its_command(project):
    _, stack = render(project, {"SECRET_KEY": "k"})
    web, worker = stack["services"]["app"], stack["services"]["worker"]
    assert worker["command"] == ["rq", "worker", "tasks"]
    assert worker["healthcheck"] == {"disable": True} and worker["deploy"]["replicas"] == 1
    for same in ("image", "read_only", "tmpfs", "volumes", "networks", "environment", "secrets"):
        assert worker[same] == web[same], same
    assert worker["deploy"]["resources"] == web["deploy"]["resources"]
    assert "release" not in stack["services"]  # a job of its own, before the update


def test_a_missing_secret_is_refused_naming_it(project):
    with pytest.raises(PipelineError, match=r"^secret SECRET_KEY is not set: give it as "
                                            r"SECRET_KEY=\.\.\. in the deploy's environment"):
        render(project, {})


def test_staging_and_production_take_ports_of_their_own_unless_told(project):
    ports = {environment: render(project, {"SECRET_KEY": "k"}, environment)[0].port
             for environment in ("staging", "production")}
    assert ports == {"staging": 8081, "production": 8080}
    chosen, _ = render(project, {"SECRET_KEY": "k", "DEPLOY_PORT": "9090"})
    assert chosen.port == 9090 and chosen.variables["DEPLOY_PORT"] == "9090"
    with pytest.raises(PipelineError, match=r"^DEPLOY_PORT='80a': expected a port, 1\.\.65535$"):
        render(project, {"SECRET_KEY": "k", "DEPLOY_PORT": "80a"})


def test_the_release_job_reads_the_web_services_values_as_the_stack_does(project):
    chosen, stack = render(project, {"SECRET_KEY": "k", "DEPLOY_PORT": "9090"})
    stack["services"]["app"]["labels"] = {"replicas": "${REPLICAS:-3}", "none": "${NOPE:-}"}
    web = swarm.interpolate(stack["services"]["app"], chosen)
    assert web["image"] == chosen.ref and web["environment"]["PORT"] == "9090"
    assert web["labels"] == {"replicas": "3", "none": ""}
