"""The Procfile: a release command and the app's other processes."""

import pytest

from pipeline import PipelineError, procfile
from pipeline.procfile import Process


def test_release_and_workers_in_order():
    found = procfile.parse("# the app's processes\n\nrelease: flask db upgrade\n"
                           "worker: rq worker blog-tasks\nmailer:python -m mailer --queue=mail\n")
    assert found.release == Process("release", "flask db upgrade")
    assert [w.name for w in found.workers] == ["worker", "mailer"]
    assert found.workers[1].command == "python -m mailer --queue=mail"
    assert procfile.parse("") == procfile.Processes(None, ())


@pytest.mark.parametrize(("command", "argv"), [
    ("flask db upgrade", ["flask", "db", "upgrade"]),
    ("rq worker 'blog tasks'", ["rq", "worker", "blog tasks"]),
    ("flask db upgrade && flask translate compile",
     ["sh", "-c", "flask db upgrade && flask translate compile"]),
    ("python -c 'print(1)'", ["sh", "-c", "python -c 'print(1)'"]),
    ("echo $HOME", ["sh", "-c", "echo $HOME"]),
])
def test_a_plain_command_is_run_as_itself_and_a_shell_line_by_sh(command, argv):
    """Exec'd as itself, a worker gets the stop signal; a line that needs a shell gets one."""
    assert Process("worker", command).argv == argv


@pytest.mark.parametrize(("text", "message"), [
    ("web: gunicorn blog:app\n", "Procfile:1: web is the image's server (APP names what it "
                                 "serves): remove the line"),
    ("worker rq worker\n", "Procfile:1: expected `name: command`, got 'worker rq worker'"),
    ("worker:\n", "Procfile:1: expected `name: command`, got 'worker:'"),
    ("Worker: rq worker\n", "Procfile:1: 'Worker' is not a process name: lowercase letters, "
                            "digits and -, e.g. worker"),
    ("app: rq worker\n", "Procfile:1: app is the web service's name: call the process "
                         "otherwise, e.g. worker"),
    ("worker: a\nworker: b\n", "Procfile:2: worker is defined twice: keep one"),
    ("worker: rq 'worker\n", "Procfile:1: worker's command does not parse: No closing "
                             "quotation"),
])
def test_a_bad_line_is_one_line_naming_it(text, message):
    with pytest.raises(PipelineError) as error:
        procfile.parse(text)
    assert str(error.value) == message


def test_no_procfile_is_no_processes(tmp_path):
    assert procfile.read(tmp_path) == procfile.Processes(None, ())
    (tmp_path / "Procfile").write_text("release: flask db upgrade\n")
    assert procfile.read(tmp_path).release.argv == ["flask", "db", "upgrade"]
