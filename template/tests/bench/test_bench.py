"""The bench's parts, not its timings: no Docker, no network beyond a loopback server."""

import http.server
import json
import threading

import pytest

from template.bench import bench
from pipeline.locks import check

# The article's Dockerfile as its text has it; ours may differ only in the base.
ARTICLE = ["FROM python:3.8-slim", "WORKDIR /app", "COPY . /app",
           "RUN pip install --trusted-host pypi.python.org -r requirements.txt", "EXPOSE 80",
           "ENV NAME World", 'CMD ["python", "app.py"]']


def instructions(path):
    """A Dockerfile's instructions, one string each: comments dropped, continuations joined."""
    text = path.read_text().replace("\\\n", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_article_dockerfile_is_the_articles_but_for_its_base():
    ours = instructions(bench.HERE / "dockerfiles/article.Dockerfile")
    assert ours[:2] == ["ARG PYTHON_IMAGE=python:3.8-slim", "FROM ${PYTHON_IMAGE}"]
    assert ours[2:] == ARTICLE[1:]


def test_docker_init_dockerfile_keeps_its_template_but_for_base_and_command():
    ours = instructions(bench.HERE / "dockerfiles/docker-init.Dockerfile")
    assert ours[:2] == ["ARG PYTHON_IMAGE=python:3.11.4-slim", "FROM ${PYTHON_IMAGE} AS base"]
    assert not any(line.startswith("# syntax") for line in
                   (bench.HERE / "dockerfiles/docker-init.Dockerfile").read_text().splitlines())
    assert "RUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,source=requirements"\
           ".txt,target=requirements.txt python -m pip install -r requirements.txt" in ours
    assert ours[-3:] == ["COPY . .", "EXPOSE 8000",
                         "CMD gunicorn 'app:create_app()' --bind=0.0.0.0:8000"]


@pytest.mark.parametrize("variant, extra", [
    ("article", {"app.py"}), ("docker-init", {".dockerignore"}),
    ("project", {".dockerignore", "requirements-build.txt"}),
])
def test_context_has_the_app_the_lock_and_the_variants_files(tmp_path, variant, extra):
    lock = tmp_path / "lock.txt"
    lock.write_text("flask==3.1.3\n")
    context = bench.prepare_context(variant, lock, tmp_path / "context")
    top = {p.name for p in context.iterdir()}
    where = bench.APP_DIRS[variant]
    assert top == {where.split("/")[0], "server", "requirements.txt", "Dockerfile"} | extra
    assert (context / "requirements.txt").read_text() == "flask==3.1.3\n"
    greeting = (context / where / "greeting.py").read_bytes()
    assert greeting == (bench.ROOT / "src/app/greeting.py").read_bytes()
    assert (context / "server/app.py").exists() and not (context / "server/tests").exists()
    assert not list(context.rglob("__pycache__"))
    if variant == "project":
        assert (context / "Dockerfile").read_bytes() == (bench.ROOT / "Dockerfile").read_bytes()


def test_an_app_edit_is_one_new_line_and_never_the_same_twice(tmp_path):
    context = bench.prepare_context("article", bench.ROOT / "requirements.txt", tmp_path / "c")
    original = (bench.ROOT / "src/app/greeting.py").read_text()
    bench.edit_app(context)
    first = (context / "app/greeting.py").read_text()  # where the article's Dockerfile has it
    bench.edit_app(context)
    second = (context / "app/greeting.py").read_text()
    assert first.startswith(original) and second.startswith(original) and first != second
    assert len(first.splitlines()) == len(original.splitlines()) + 1


@pytest.mark.parametrize("name", ["heavy", "heavy-plus1", "template-plus1"])
def test_bench_locks_are_hashed_and_machine_free(name):
    source, lock = bench.HERE / f"locks/{name}.in", bench.HERE / f"locks/{name}.txt"
    if name.startswith("heavy"):  # template-plus1 follows the app's lock: the bench checks it
        check(source, lock)
    text = lock.read_text()
    assert "#    make bench-lock\n" in text and "with Python 3.13" in text
    assert "--index-url" not in text and "--find-links" not in text and "file://" not in text
    pins = [line for line in text.splitlines() if "==" in line and not line.startswith(" ")]
    assert pins and all(line.endswith("\\") for line in pins)  # a --hash line follows each


def test_plus_one_locks_must_add_one_dependency_and_move_no_pin(tmp_path, monkeypatch):
    def lock(name, *pins):
        path = tmp_path / name
        path.write_text("#\n" + "".join(f"{pin} \\\n    --hash=sha256:00\n" for pin in pins))
        return path

    base = lock("base.txt", "flask==3.1.3", "jinja2==3.1.6")
    good = lock("good.txt", "flask==3.1.3", "jinja2==3.1.6", "python-dotenv==1.2.4")
    moved = lock("moved.txt", "flask==3.1.2", "jinja2==3.1.6", "python-dotenv==1.2.4")
    other = lock("other.txt", "flask==3.1.3", "jinja2==3.1.6", "six==1.0")
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench, "SETS", {"a": (base, good)})
    assert bench.stale_locks() == []
    for plus_one in (moved, other):
        monkeypatch.setattr(bench, "SETS", {"a": (base, plus_one)})
        assert bench.stale_locks() == [f"{plus_one.name} is not base.txt + python-dotenv"]


def test_median_percentile_and_ratio():
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([1.0, None, 3.0]) == 2.0
    assert bench.median([]) is None
    values = list(range(1, 101))
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 100) == 100
    assert bench.percentile([5.0], 99) == 5.0
    assert bench.percentile([], 99) is None
    assert bench.ratio(3.0, 2.0) == 1.5
    assert bench.ratio(3.0, 0) is None and bench.ratio(None, 2.0) is None


def fake_results():
    def figures(scale):
        return {key: [scale * 10.0, scale * 12.0, scale * 11.0] for key, _, _ in bench.METRICS}

    samples = {"builds": {"template": {"article": figures(1), "docker-init": figures(0.5),
                                       "project": figures(2)}},
               "pipeline": {"pipeline_unchanged": [40.0, 42.0, 41.0],
                            "pipeline_app_change": [50.0, 52.0, 51.0]}}
    results = {"samples": samples, "runs": 3}
    results["median"], results["ratio"], results["pipeline"] = bench.summarize(samples)
    return results


def test_ratios_are_computed_within_each_run_then_the_median():
    # Run 2 was slow for everyone: the ratio of medians (20 / 10) would say 2.0, each run says 1.
    samples = {"builds": {"s": {"article": {"cold": [10.0, 40.0, 11.0]},
                                "project": {"cold": [10.0, 40.0, 20.0]}}}}
    medians, ratios, _ = bench.summarize(samples)
    assert medians["s"]["project"]["cold"] == 20.0
    assert ratios["s"]["project"]["cold"] == 1.0
    assert bench.run_ratios([1.0, None, 3.0], [2.0, 2.0]) == [0.5, None]


def goal_samples(project, docker_init, article, pipeline):
    def figures(values):
        return {key: [values.get(key, 1.0)] for key in
                ("cold", "app_change", "dep_change", "fresh", "size", "startup", "rps")}

    return {"builds": {"heavy": {"project": figures(project),
                                 "docker-init": figures(docker_init),
                                 "article": figures(article)}},
            "pipeline": {k: [v] for k, v in pipeline.items()}}


def test_goals_are_issue_11s_ratios_and_bounds():
    samples = goal_samples(
        project={"cold": 20.0, "app_change": 0.5, "dep_change": 6.0, "fresh": 5.0, "size": 230.0,
                 "startup": 0.4, "rps": 1000.0},
        docker_init={"app_change": 0.4, "size": 240.0, "startup": 0.5, "rps": 900.0},
        article={"cold": 30.0, "dep_change": 20.0},
        pipeline={"pipeline_unchanged": 9.0})
    rows = {row["key"]: row for row in bench.goals(samples)}
    assert [row["key"] for row in bench.goals(samples)] == [g[0] for g in bench.GOALS]
    assert rows["app_change"]["value"] == pytest.approx(1.25) and rows["app_change"]["met"] is False
    assert rows["cold"]["value"] == pytest.approx(2 / 3) and rows["cold"]["met"] is True
    assert rows["dep_change"]["value"] == pytest.approx(0.3) and rows["dep_change"]["met"] is True
    assert rows["fresh"]["value"] == pytest.approx(0.25) and rows["fresh"]["met"] is True
    assert rows["size"]["met"] is True and rows["startup"]["met"] is True
    assert rows["rps"]["value"] == pytest.approx(1000 / 900) and rows["rps"]["met"] is True
    assert rows["pipeline_unchanged"]["value"] == 9.0 and rows["pipeline_unchanged"]["met"]
    assert rows["pipeline_app_change"]["value"] is None
    assert rows["pipeline_app_change"]["met"] is None
    table = bench.render_goals(bench.goals(samples)).splitlines()
    assert "| one-line app change: no slower than `docker init`'s | ×1.25 | **no** |" in table
    assert "| `make pipeline`, unchanged tree: <= 10 s | 9.0 s | yes |" in table
    assert "| `make pipeline`, one-line app change: <= 15 s | — | not measured |" in table


def test_requests_per_second_is_the_goal_that_must_be_at_least():
    samples = goal_samples(project={"rps": 800.0}, docker_init={"rps": 900.0}, article={},
                           pipeline={})
    rows = {row["key"]: row for row in bench.goals(samples)}
    assert rows["rps"]["met"] is False


def test_the_readme_section_is_replaced_between_its_markers_only():
    start, end = bench.MARKERS
    text = f"before\n{start}\nold\n{end}\nafter\n"
    assert bench.between_markers(text, "new\n") == f"before\n{start}\nnew\n{end}\nafter\n"
    with pytest.raises(ValueError):
        bench.between_markers("no markers", "new\n")


def test_summary_is_medians_and_ratios_to_the_article():
    results = fake_results()
    assert results["median"]["template"]["article"]["cold"] == 11.0
    assert results["ratio"]["template"]["docker-init"]["cold"] == 0.5
    assert results["ratio"]["template"]["project"]["rps"] == 2.0
    assert results["pipeline"] == {"pipeline_unchanged": 41.0, "pipeline_app_change": 51.0}


def test_table_has_a_row_per_figure_and_ratios_to_the_article():
    table = bench.render_table(fake_results())
    lines = table.splitlines()
    assert "| | article | docker init | this project |" in lines
    assert "| cold build (no build cache) | 11.0 s | 5.5 s (×0.50) | 22.0 s (×2.00) |" in lines
    assert "| image size over its base (unpacked) | 11 MB | 6 MB (×0.50) | 22 MB (×2.00) |" \
        in lines
    assert "| `make pipeline`, unchanged tree | 41.0 s |" in lines
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(bench.METRICS) + 1 + len(bench.PIPELINE)
    assert bench.fmt(None, "s") == "—"


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_load_sends_exactly_the_requests_asked_for_on_loopback():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        stats = bench.load(server.server_address[1], count=30, concurrency=3, seconds=10)
    finally:
        server.shutdown()
        server.server_close()
    assert stats["requests"] == 30 and stats["errors"] == 0
    assert stats["rps"] > 0 and stats["p99"] > 0


def test_load_stops_at_its_time_bound_and_counts_failures():
    # Nothing listens on the port: every request fails at once, until the time bound.
    stats = bench.load(1, count=10**9, concurrency=2, seconds=0.2)
    assert 0 < stats["requests"] == stats["errors"] < 10**9
    assert stats["rps"] == 0 and stats["p99"] is None


def test_requests_go_to_loopback_only():
    with pytest.raises(ValueError):
        bench.get(80, host="10.0.0.1")


def test_the_readme_quotes_the_latest_results():
    results = json.loads((bench.RESULTS / "results.json").read_text())
    readme = (bench.ROOT / "README.md").read_text()
    start, end = (readme.index(marker) for marker in bench.MARKERS)
    assert readme[start + len(bench.MARKERS[0]):end] == "\n" + bench.summary(results)
    assert bench.render_goals(results["goals"]) in (bench.RESULTS / "RESULTS.md").read_text()
