"""What gets tagged: pipeline.publish's decisions, then against the real registry on loopback."""

import http.server
import json
import threading
import tarfile

import pytest

from pipeline import PipelineError, publish, run
from template.tests.docker import docker

SHA = "a" * 40


def record(ref="refs/heads/main", passed=("smoke", "scan"), digest="sha256:m1", tags=None):
    tags = tags or (["1.0.0", "1.0", "1", "latest"] if ref.startswith("refs/tags/") else ["edge"])
    immutable = tags[:1] if ref.startswith("refs/tags/") else []
    made = run.Run("reg/app", ref, SHA, tags[0], tags, immutable)
    made.add(run.Platform("linux/amd64", f"reg/app@{digest}", "sha256:c1", digest, list(passed)))
    return made


def test_only_digests_that_passed_both_gates_are_tagged():
    chosen = publish.plan(record(), {})
    assert (chosen.tags, chosen.sources, chosen.noop) == (["edge"], ["reg/app@sha256:m1"], False)
    with pytest.raises(PipelineError, match=r"^linux/amd64 has not passed scan: nothing was "
                                            r"published; run make pipeline$"):
        publish.plan(record(passed=["smoke"]), {})
    with pytest.raises(PipelineError, match="has not passed smoke and scan"):
        publish.plan(record(passed=[]), {})
    with pytest.raises(PipelineError, match="was not pushed by digest: build with PUSH=1"):
        publish.plan(record(digest=""), {})
    with pytest.raises(PipelineError, match="pull requests are built and tested, never published"):
        publish.plan(record(ref="refs/pull/7/merge"), {})
    empty = record()
    empty.platforms = []
    with pytest.raises(PipelineError, match="holds no build"):
        publish.plan(empty, {})


def test_a_release_never_moves():
    release = record("refs/tags/v1.0.0")
    assert not publish.plan(release, {"1.0.0": None}).noop
    same = publish.Published("sha256:index", {"linux/amd64": "sha256:c1"})
    assert publish.plan(release, {"1.0.0": same}).existing == "sha256:index"  # a re-run: no-op
    other = publish.Published("sha256:index", {"linux/amd64": "sha256:c0"})
    fewer = publish.Published("sha256:index", {"linux/amd64": "sha256:c1", "linux/arm64": "x"})
    for existing in (other, fewer):
        with pytest.raises(PipelineError, match=r"^release 1\.0\.0 already exists at "
                                                r"sha256:index with other content: release tags "
                                                r"are immutable; cut a new version instead$"):
            publish.plan(release, {"1.0.0": existing})


def test_records_of_a_matrix_merge_into_one_run():
    amd, arm = record(), record(digest="sha256:m2")
    arm.platforms[0].platform = "linux/arm64"
    merged = run.merge([amd, arm])
    assert [p.platform for p in merged.platforms] == ["linux/amd64", "linux/arm64"]
    with pytest.raises(PipelineError, match="two run records build linux/amd64"):
        run.merge([amd, record()])
    other = record()
    other.revision = "b" * 40
    with pytest.raises(PipelineError, match="run records disagree"):
        run.merge([amd, other])
    with pytest.raises(PipelineError, match="no run records to publish"):
        run.merge([])


def test_run_record_round_trip_and_errors(tmp_path):
    made = record()
    made.passed("smoke", "linux/amd64")  # twice is once
    made.save(tmp_path / "run.json")
    loaded = run.load(tmp_path / "run.json")
    assert loaded == made and loaded.platforms[0].published
    with pytest.raises(PipelineError, match="no run record at .*: run make build first"):
        run.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(PipelineError, match="is not a run record"):
        run.load(tmp_path / "bad.json")
    with pytest.raises(PipelineError, match="unknown stage 'lint'"):
        made.passed("lint", "linux/amd64")
    with pytest.raises(PipelineError, match="has no linux/s390x build: run make build"):
        made.platform("linux/s390x")


@pytest.fixture(scope="module")
def images(registry, tmp_path_factory):
    """Two tiny single-layer images pushed by tag, as (repo, {name: manifest digest})."""
    repo = f"{registry.address}/unit/tiny"
    digests = {}
    for name in ("one", "two"):
        folder = tmp_path_factory.mktemp(name)
        (folder / "file").write_text(name)
        with tarfile.open(folder / "layer.tar", "w") as archive:
            archive.add(folder / "file", arcname="file")
        docker("import", str(folder / "layer.tar"), f"{repo}:{name}")
        docker("push", f"{repo}:{name}")
        digests[name] = publish.digest_of(f"{repo}:{name}")
    return repo, digests


@pytest.mark.registry
def test_what_a_release_tag_holds_per_platform(images):
    repo, digests = images
    docker("buildx", "imagetools", "create", "--tag", f"{repo}:1.0.0", f"{repo}@{digests['one']}")
    found = publish.published(repo, "1.0.0")
    config = json.loads(docker("buildx", "imagetools", "inspect", "--raw",
                               f"{repo}@{digests['one']}").stdout)["config"]["digest"]
    assert found is not None and found.configs == {"linux/amd64": config}
    assert found.digest == publish.digest_of(f"{repo}:1.0.0") != digests["one"]
    assert publish.published(repo, "9.9.9") is None
    # What is signed: the index and the platform image in it.
    signed = [(found.digest, "index"), (digests["one"], "linux/amd64")]
    assert publish.digests(f"{repo}:1.0.0") == signed


@pytest.mark.registry
def test_a_registry_that_does_not_answer_is_an_error_not_a_missing_tag():
    with pytest.raises(PipelineError, match=r"^cannot read 127\.0\.0\.1:9/unit/tiny:1\.0\.0 from "
                                            r"its registry: "):
        publish.published("127.0.0.1:9/unit/tiny", "1.0.0")


@pytest.fixture
def refusing():
    """A registry on loopback that answers every request with one HTTP status."""
    servers = []

    def start(status):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"errors": [{"code": "UNKNOWN", "message": "not found"}]})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.registry
@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_a_denied_or_failing_registry_never_reads_as_a_missing_release(refusing, status):
    """"absent" lets a release tag be pushed: only the registry's 404 for that tag may say it."""
    address = refusing(status)
    # A name holding "unknown" once read as absent in any error naming it.
    with pytest.raises(PipelineError, match=rf"^cannot read {address}/acme/unknown:1\.0\.0 from "
                                            rf"its registry: .*{status}"):
        publish.published(f"{address}/acme/unknown", "1.0.0")


def test_edge_never_moves_back_to_an_older_commit():
    older = record()
    older.created = "2026-11-25T10:00:00Z"
    older.tags = ["edge", "sha-aaaaaaa"]
    newer_there = {"edge": "2026-11-25T11:00:00Z"}
    chosen = publish.plan(older, {}, newer_there)
    assert (chosen.tags, chosen.kept) == (["sha-aaaaaaa"], ["edge"])
    for heads in ({"edge": "2026-11-25T09:00:00Z"}, {"edge": ""}, {}):
        assert publish.plan(older, {}, heads).tags == ["edge", "sha-aaaaaaa"]


@pytest.mark.registry
def test_the_commit_time_a_tag_holds(images):
    repo, digests = images
    config = json.loads(docker("buildx", "imagetools", "inspect", "--format", "{{json .Image}}",
                               f"{repo}@{digests['one']}").stdout)
    assert publish.created(f"{repo}:one") == config["created"] != ""
    assert publish.created(f"{repo}:no-such-tag") == ""
