"""How an adopted project's pytest treats the app's own tests and the server's: tests.py and
unittest's TestCases collected; a library's warning in the app's tests stays a warning, and is an
error in the server's."""

import subprocess
import sys

WARNS = """import warnings
import unittest


def legacy():
    warnings.warn("legacy() is deprecated", DeprecationWarning, stacklevel=2)


class LegacyCase(unittest.TestCase):
    def test_legacy(self):
        legacy()
"""


def pytest(project, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--no-cov", *args], cwd=project.path, capture_output=True, text=True)


def test_the_apps_tests_py_is_collected_and_its_warnings_stay_warnings(template):
    (template.path / "tests/tests.py").write_text(WARNS)
    done = pytest(template, "tests/tests.py")
    assert done.returncode == 0, done.stdout
    assert "1 passed, 1 warning" in done.stdout and "legacy() is deprecated" in done.stdout


def test_a_warning_in_the_servers_tests_is_an_error(template):
    (template.path / "server/tests/test_legacy.py").write_text(WARNS)
    done = pytest(template, "server/tests/test_legacy.py")
    assert done.returncode == 1, done.stdout
    assert "DeprecationWarning: legacy() is deprecated" in done.stdout and "1 failed" in \
        done.stdout
