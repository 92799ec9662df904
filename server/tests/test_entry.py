"""The image's entrypoint: secret files into the environment, then the command, as a process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.entry import SecretError, export, main

ROOT = Path(__file__).parents[2]
PRINT = "import os, sys; print(os.environ[sys.argv[1]])"


def entry(*command, secrets, **env):
    return subprocess.run(
        [sys.executable, "-m", "server.entry", *command], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "SECRETS_DIR": str(secrets), **env})


def test_a_secret_reaches_the_command_as_a_variable(tmp_path):
    (tmp_path / "SECRET_KEY").write_text("s3cr3t\n")
    run = entry(sys.executable, "-c", PRINT, "SECRET_KEY", secrets=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "s3cr3t\n", "")


def test_a_secret_wins_over_the_environment(tmp_path):
    (tmp_path / "SECRET_KEY").write_text("from the file")
    run = entry(sys.executable, "-c", PRINT, "SECRET_KEY", secrets=tmp_path,
                SECRET_KEY="from the environment")
    assert run.stdout == "from the file\n"
    environ = {"SECRET_KEY": "old", "OTHER": "kept"}
    export(tmp_path, environ)
    assert environ == {"SECRET_KEY": "from the file", "OTHER": "kept"}


def test_the_commands_exit_status_is_the_entrys(tmp_path):
    run = entry(sys.executable, "-c", "raise SystemExit(3)", secrets=tmp_path / "absent")
    assert run.returncode == 3


@pytest.mark.parametrize(("text", "value"), [
    ("value\n", "value"),        # echo value > file
    ("value", "value"),
    ("value\n\n", "value\n"),    # one newline only: the rest is the value's
    ("two\nlines\n", "two\nlines"),
    ("value\r\n", "value\r"),
    ("\n", ""),
    ("", ""),
    ("  spaced  \n", "  spaced  "),
])
def test_one_trailing_newline_is_not_the_values(tmp_path, text, value):
    (tmp_path / "TOKEN").write_bytes(text.encode())
    environ = {}
    assert export(tmp_path, environ) == ["TOKEN"]
    assert environ == {"TOKEN": value}


def test_only_files_named_as_variables_are_exported(tmp_path):
    for name in ("Z_LAST", "DATABASE_URL", "_private", "a1", "not-a-name", "1ABC", "has.dot",
                 ".hidden", "ca.pem"):
        (tmp_path / name).write_text(name)
    (tmp_path / "DIRECTORY").mkdir()
    (tmp_path / "DIRECTORY" / "NESTED").write_text("nested")
    (tmp_path / "DANGLING").symlink_to(tmp_path / "nowhere")
    environ = {}
    assert export(tmp_path, environ) == ["DATABASE_URL", "Z_LAST", "_private", "a1"]
    assert environ == {name: name for name in ("DATABASE_URL", "Z_LAST", "_private", "a1")}


def test_a_kubernetes_secret_volume_is_read_through_its_links(tmp_path):
    # As the kubelet writes it: the files in a timestamped directory, `..data` linking to it, and
    # each key a link through `..data`.
    (tmp_path / "..2026_01_02").mkdir()
    (tmp_path / "..2026_01_02" / "SECRET_KEY").write_text("rotated")
    (tmp_path / "..data").symlink_to("..2026_01_02")
    (tmp_path / "SECRET_KEY").symlink_to("..data/SECRET_KEY")
    environ = {}
    assert export(tmp_path, environ) == ["SECRET_KEY"]
    assert environ == {"SECRET_KEY": "rotated"}


def test_no_secrets_directory_is_no_secrets(tmp_path):
    environ = {"KEPT": "1"}
    assert export(tmp_path / "absent", environ) == []
    assert environ == {"KEPT": "1"}


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe s3cr3t", "the secret {} is not UTF-8 text"),
    (b"s3cr3t\0", "the secret {} holds a NUL byte, which no variable can"),
])
def test_a_secret_no_variable_can_hold_is_one_line_without_its_value(
        tmp_path, capsys, monkeypatch, content, message):
    (tmp_path / "SECRET_KEY").write_bytes(content)
    with pytest.raises(SecretError, match="^" + message.format(tmp_path / "SECRET_KEY") + "$"):
        export(tmp_path, {})
    run = entry(sys.executable, "-c", "print('ran')", secrets=tmp_path)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "error: " + message.format(tmp_path / "SECRET_KEY") + "\n"
    assert "s3cr3t" not in run.stderr
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    assert main(["no-such-command"]) == 2  # never exec: a failure would end pytest
    assert capsys.readouterr().err == run.stderr


def test_an_unreadable_secret_is_one_line(tmp_path):
    """A file that cannot be read whoever reads it (root reads any mode): this process's memory
    at offset 0, which is never mapped."""
    (tmp_path / "SECRET_KEY").symlink_to("/proc/self/mem")
    with pytest.raises(SecretError, match="^cannot read the secret .*SECRET_KEY: Input/output "
                                          "error$"):
        export(tmp_path, {})


def test_a_secrets_path_that_is_not_a_directory_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SecretError, match="^cannot list the secrets in .*file: Not a directory$"):
        export(tmp_path / "file", {})


def test_a_missing_command_is_one_line(tmp_path, capsys, monkeypatch):
    run = entry("no-such-command", "--flag", secrets=tmp_path)
    assert (run.returncode, run.stdout) == (127, "")
    assert run.stderr == "error: no-such-command: command not found\n"
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    assert main(["no-such-command"]) == 127  # never found: pytest's process goes on
    assert capsys.readouterr().err == run.stderr


def test_a_command_that_cannot_run_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    assert main([str(tmp_path)]) == 126  # a directory
    assert capsys.readouterr().err == f"error: {tmp_path}: Permission denied\n"


def test_no_command_is_a_usage_error(tmp_path, capsys):
    run = entry(secrets=tmp_path)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "error: no command to run; usage: python -m server.entry COMMAND [ARG...]\n")
    assert main([]) == 2
    assert capsys.readouterr().err == run.stderr
