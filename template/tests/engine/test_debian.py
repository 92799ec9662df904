"""pipeline/debian.py: which apt entry is the machine's own, and the forky source and pin written
from it. Where apt is installed, its own parser is the judge of what the files say."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline import PipelineError
from template import debian
from template.debian import Entry

ROOT = Path(__file__).parents[3]
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

# Debian 13's layout: deb822, the security suite first, Suites over two lines, a disabled stanza.
DEBIAN_SOURCES = f"""\
# security first: its suite contains the codename as a prefix only
Types: deb
URIs: http://security.example/debian-security
Suites: trixie-security
Components: main
Signed-By: {KEYRING}

Types: deb deb-src
URIs: http://mirror.example/debian
# a comment inside a stanza
Suites: trixie
 trixie-updates
Components: main contrib
Signed-By: {KEYRING}

Types: deb
URIs: http://old.example/debian
Suites: trixie
Components: main
Enabled: no
"""

# Debian 12 cloud images: one-line entries, options in brackets, deb-src and comments.
SOURCES_LIST = f"""\
deb http://mirror.example/debian bookworm-updates main
deb [ signed-by={KEYRING} lang=none ] http://mirror.example/debian bookworm main
deb-src [signed-by={KEYRING}] http://mirror.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main  # a trailing comment
#deb http://mirror.example/debian bookworm-backports main
"""

DOCKER_LIST = ("deb [signed-by=/etc/apt/keyrings/docker.asc] https://docker.example/debian "
               "bookworm stable\n")

EMBEDDED_KEY = """
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD3K87ZM18gzyQZJD+w
 -----END PGP PUBLIC KEY BLOCK-----"""


def test_deb822_entries_skip_disabled_stanzas_and_join_multi_line_fields():
    assert debian.parse(DEBIAN_SOURCES, deb822=True) == [
        Entry(("http://security.example/debian-security",), ("trixie-security",), ("main",),
              KEYRING),
        Entry(("http://mirror.example/debian",), ("trixie", "trixie-updates"), ("main", "contrib"),
              KEYRING),
    ]


@pytest.mark.parametrize("enabled", ["no", "No", "false", "off"])
def test_deb822_enabled_takes_apts_spellings_of_false(enabled):
    text = f"Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie\nEnabled: {enabled}\n"
    assert debian.parse(text, deb822=True) == []


def test_deb822_without_deb_type_is_not_an_entry():
    text = "Types: deb-src\nURIs: http://mirror.example/debian\nSuites: trixie\nComponents: main\n"
    assert debian.parse(text, deb822=True) == []


def test_one_line_entries_read_options_and_skip_deb_src_and_comments():
    assert debian.parse(SOURCES_LIST, deb822=False) == [
        Entry(("http://mirror.example/debian",), ("bookworm-updates",), ("main",)),
        Entry(("http://mirror.example/debian",), ("bookworm",), ("main",), KEYRING),
        Entry(("http://security.example/debian-security",), ("bookworm-security",), ("main",)),
    ]


def test_one_line_options_in_one_word():
    assert debian.parse(DOCKER_LIST, deb822=False) == [
        Entry(("https://docker.example/debian",), ("bookworm",), ("stable",),
              "/etc/apt/keyrings/docker.asc")]


@pytest.mark.parametrize("line", [
    "deb [signed-by=/k.gpg http://mirror.example/debian bookworm main",
    "deb http://mirror.example/debian", "deb"])
def test_malformed_one_line_entries_are_not_entries(line):
    """apt refuses these; what matters here is that no half-read entry is taken for the own."""
    assert debian.parse(line + "\n", deb822=False) == []


@pytest.fixture
def apt_dir(tmp_path):
    """An /etc/apt with the formats a machine may have, and files apt itself would not read."""
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(SOURCES_LIST)
    (tmp_path / "sources.list.d/debian.sources").write_text(DEBIAN_SOURCES)
    (tmp_path / "sources.list.d/docker.list").write_text(DOCKER_LIST)
    (tmp_path / "sources.list.d/old.list.disabled").write_text(
        "deb http://off.example/d sid main\n")
    (tmp_path / "sources.list.d/old.sources.save").write_text(
        "Types: deb\nURIs: http://off.example/d\nSuites: sid\nComponents: main\n")
    return tmp_path


def pairs(entries):
    return sorted({(uri.rstrip("/"), suite)
                   for e in entries for uri in e.uris for suite in e.suites})


def test_read_takes_both_formats_in_apts_order_and_only_the_files_apt_reads(apt_dir):
    entries = debian.read(apt_dir)
    assert [e.suites for e in entries] == [
        ("bookworm-updates",), ("bookworm",), ("bookworm-security",),  # sources.list first
        ("trixie-security",), ("trixie", "trixie-updates"),            # then the parts, sorted
        ("bookworm",)]


def test_read_agrees_with_apt(apt_dir):
    """apt's own parser lists the same (URI, suite) pairs from the same files."""
    apt_get = shutil.which("apt-get")
    if not apt_get:
        if os.environ.get("CI"):
            pytest.fail("apt-get is missing: CI runs on Debian", pytrace=False)
        pytest.skip("apt-get is missing (not Debian)")
    listed = subprocess.run(
        # --no-release-info: list what `apt-get update` would fetch, not only what it has fetched
        [apt_get, "--no-release-info", "-o", f"Dir::Etc::SourceList={apt_dir}/sources.list",
         "-o", f"Dir::Etc::SourceParts={apt_dir}/sources.list.d",
         "indextargets", "--format", "$(REPO_URI) $(RELEASE)", "Created-By: Packages"],
        check=True, capture_output=True, text=True).stdout
    by_apt = sorted({(uri.rstrip("/"), suite)
                     for uri, suite in map(str.split, listed.splitlines())})
    assert pairs(debian.read(apt_dir)) == by_apt
    assert ("http://old.example/debian", "trixie") not in by_apt  # the disabled stanza


def test_read_leaves_out_the_source_it_writes(apt_dir):
    (apt_dir / "sources.list.d/forky.sources").write_text(
        debian.source(Entry(("http://mirror.example/debian",), ("trixie",), ("main",))))
    assert ("forky",) not in [e.suites for e in debian.read(apt_dir)]


def test_read_of_a_machine_without_sources_list(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(DEBIAN_SOURCES)
    assert len(debian.read(tmp_path)) == 2


@pytest.mark.parametrize("codename, uri", [("bookworm", "http://mirror.example/debian"),
                                           ("trixie", "http://mirror.example/debian")])
def test_own_entry_holds_the_bare_codename_not_security_updates_or_third_party(
        apt_dir, codename, uri):
    entries = debian.read(apt_dir)
    # the first entry naming each release is a suite with a suffix: the choice is not "first"
    assert entries[0].suites != (codename,)
    entry = debian.own(entries, codename)
    assert entry.uris == (uri,) and codename in entry.suites and "main" in entry.components


def test_own_skips_backports_and_a_third_party_archive_using_the_codename():
    entries = debian.parse(DOCKER_LIST
                           + "deb http://mirror.example/debian bookworm-backports main\n"
                           + "deb http://mirror.example/debian bookworm main\n", deb822=False)
    assert debian.own(entries, "bookworm") == entries[2]


def test_no_entry_for_the_release_names_the_fix(apt_dir):
    with pytest.raises(PipelineError, match=r"no apt source serves Debian forky main: add a `deb` "
                       r"entry for it to /etc/apt/sources\.list\.d/debian\.sources"):
        debian.own(debian.read(apt_dir), "forky")
    with pytest.raises(PipelineError, match="serves Debian bookworm"):
        debian.own(debian.parse(DOCKER_LIST, deb822=False), "bookworm")


def test_source_is_forky_from_the_same_mirror_components_and_key():
    entry = Entry(("http://mirror.example/debian",), ("trixie", "trixie-updates"),
                  ("main", "contrib"), KEYRING)
    assert debian.source(entry) == (
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: forky\nComponents: main contrib\n"
        f"Signed-By: {KEYRING}\n")
    assert debian.source(Entry(("http://mirror.example/debian",), ("trixie",), ())) == (
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: forky\nComponents: main\n")


def test_source_keeps_an_embedded_key_line_by_line():
    entry = debian.parse("Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie\n"
                         f"Components: main\nSigned-By:{EMBEDDED_KEY}\n", deb822=True)[0]
    written = debian.source(entry)
    assert f"Signed-By:{EMBEDDED_KEY}\n" in written
    assert debian.parse(written, deb822=True)[0].signed_by == entry.signed_by


def test_pin_is_priority_100_for_the_suite_only():
    assert debian.pin() == "Package: *\nPin: release n=forky\nPin-Priority: 100\n"
    assert debian.PRIORITY < 500  # the release's own priority: nothing moves unless asked for


@pytest.mark.parametrize("line", ["VERSION_CODENAME=trixie", 'VERSION_CODENAME="trixie"'])
def test_codename(tmp_path, line):
    (tmp_path / "os-release").write_text(f'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n{line}\n')
    assert debian.codename(tmp_path / "os-release") == "trixie"


@pytest.mark.parametrize("text", ["ID=alpine\n", "VERSION_CODENAME=\n"])
def test_no_codename_is_an_error(tmp_path, text):
    (tmp_path / "os-release").write_text(text)
    with pytest.raises(PipelineError, match="names no VERSION_CODENAME: is this Debian"):
        debian.codename(tmp_path / "os-release")


def test_the_command_line_prints_each_part(tmp_path):
    """`python3 -m template.debian`, as the engine script runs it, on this machine's sources."""
    if not Path("/etc/apt").is_dir():
        pytest.skip("not Debian")
    run = [sys.executable, "-m", "template.debian"]
    entry = debian.own(debian.read(), debian.codename())

    def out(*args):
        return subprocess.run([*run, *args], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout

    assert out("source") == debian.source(entry)
    assert out("pin") == debian.pin()
    assert out("mirror") == entry.uris[0] + "\n"
    assert out("suite") == "forky\n"
    failed = subprocess.run([*run, "source", "--codename", "no-such-release"], cwd=ROOT,
                            capture_output=True, text=True)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr.startswith("error: no apt source serves Debian no-such-release main")


def mirror_hosts() -> set[str]:
    """The hosts of this machine's Debian entries (its own, -security, -updates), as the code
    reads them."""
    if not Path("/etc/os-release").exists() or not Path("/etc/apt").is_dir():
        if os.environ.get("CI"):
            pytest.fail("no apt here: CI runs on Debian", pytrace=False)
        pytest.skip("not Debian")
    release = debian.codename()
    ours = [e for e in debian.read() if any(s.split("-")[0] == release for s in e.suites)]
    assert debian.own(ours, release)
    hosts = {urlsplit(uri).hostname for entry in ours for uri in entry.uris}
    return {host for host in hosts if host}


def tracked_files_naming(words: set[str]) -> list[str]:
    patterns = [arg for word in sorted(words) for arg in ("-e", word)]
    found = subprocess.run(["git", "grep", "-l", "-i", "-F", *patterns], cwd=ROOT,
                           capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr  # 1: no match
    return found.stdout.split()


def test_no_tracked_file_names_the_machines_mirror():
    """Issue 9: sources and debootstrap's mirror are read from apt, never written down."""
    hosts = mirror_hosts()
    assert hosts
    assert tracked_files_naming(hosts) == []


def test_the_search_for_names_in_tracked_files_finds_them():
    assert "template/scripts/engine.sh" in tracked_files_naming({"DOCS.docker.com"})
