"""Apt sources for Engine 28 from Debian's testing suite, written from the machine's own entry so
that no file names a mirror: `python3 -m template.debian source|pin|mirror|suite`."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline import PipelineError

SUITE = "forky"  # the suite with Docker 28.5, buildx 0.29, compose 2.40, containerd 2.1
PRIORITY = 100  # below the release's 500: only what is asked for by name comes from it
# apt's spellings of a false boolean (StringToBool)
FALSE = {"no", "false", "without", "off", "disable", "0"}


@dataclass(frozen=True)
class Entry:
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str = ""  # a keyring path, fingerprints, or an embedded key (deb822 multi-line)


def parse(text: str, deb822: bool) -> list[Entry]:
    """The `deb` entries of a deb822 `.sources` file or of a one-line `sources.list`."""
    return _parse_deb822(text) if deb822 else _parse_one_line(text)


def _parse_deb822(text: str) -> list[Entry]:
    entries = []
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                # Kept line by line: an embedded Signed-By key only works with its line breaks.
                fields[key] += "\n" + line.rstrip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" in fields.get("types", "").split() \
                and fields.get("enabled", "yes").strip().lower() not in FALSE:
            entries.append(Entry(tuple(fields.get("uris", "").split()),
                                 tuple(fields.get("suites", "").split()),
                                 tuple(fields.get("components", "").split()),
                                 fields.get("signed-by", "")))
    return entries


def _parse_one_line(text: str) -> list[Entry]:
    entries = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        signed_by = ""
        if words and words[0].startswith("["):
            options = []
            while words:
                word = words.pop(0)
                options.append(word.strip("[]"))
                if word.endswith("]"):
                    break
            for option in options:
                if option.startswith("signed-by="):
                    signed_by = option.split("=", 1)[1]
        if len(words) >= 2:
            entries.append(Entry((words[0],), (words[1],), tuple(words[2:]), signed_by))
    return entries


def read(apt: Path = Path("/etc/apt")) -> list[Entry]:
    """Every enabled entry, in apt's order; the source this module writes is left out."""
    entries = []
    files = [apt / "sources.list"] + sorted((apt / "sources.list.d").glob("*"))
    for path in files:
        # apt reads only these two suffixes: `foo.list.disabled` or `foo.sources.save` are off.
        if path.suffix in (".list", ".sources") and path.is_file() \
                and path.name != f"{SUITE}.sources":
            entries += parse(path.read_text(), path.suffix == ".sources")
    return entries


def own(entries: list[Entry], codename: str) -> Entry:
    """The entry that serves the release itself: its Suites hold the bare codename (not only
    `-security`, `-updates` or `-backports`) and its Components hold `main`, which leaves out
    third-party archives that reuse the codename (Docker's is `<codename> stable`)."""
    for entry in entries:
        if codename in entry.suites and "main" in entry.components and entry.uris:
            return entry
    raise PipelineError(f"no apt source serves Debian {codename} main: add a `deb` entry for it "
                        "to /etc/apt/sources.list.d/debian.sources")


def source(entry: Entry) -> str:
    """A deb822 source for SUITE from the same mirror, components and key as `entry`."""
    lines = ["Types: deb", f"URIs: {' '.join(entry.uris)}", f"Suites: {SUITE}",
             f"Components: {' '.join(entry.components) or 'main'}"]
    if entry.signed_by:
        separator = "" if entry.signed_by.startswith("\n") else " "
        lines.append(f"Signed-By:{separator}{entry.signed_by}")
    return "\n".join(lines) + "\n"


def pin() -> str:
    return f"Package: *\nPin: release n={SUITE}\nPin-Priority: {PRIORITY}\n"


def codename(os_release: Path = Path("/etc/os-release")) -> str:
    for line in os_release.read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            value = line.split("=", 1)[1].strip().strip('"')
            if value:
                return value
    raise PipelineError(f"{os_release} names no VERSION_CODENAME: is this Debian?")


def main(argv: list[str] | None = None) -> int:
    """What template/scripts/engine.sh and stand-in-base.sh read from the machine's own sources."""
    parser = argparse.ArgumentParser(prog="python3 -m template.debian", description=__doc__)
    parser.add_argument("what", choices=["source", "pin", "mirror", "suite"])
    parser.add_argument("--codename", help="the release whose entry to read (default: this one)")
    args = parser.parse_args(argv)
    try:
        entry = own(read(), args.codename or codename())
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print({"source": source(entry), "pin": pin(), "mirror": entry.uris[0], "suite": SUITE}[
        args.what], end="" if args.what in ("source", "pin") else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
