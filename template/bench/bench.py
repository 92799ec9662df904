"""`make bench`: this project's Dockerfile against the article's and `docker init`'s, side by side.

Every variant builds the same app (src/app/, where each Dockerfile expects it) on the same base
image with the same engine, in the same run, with two dependency sets. Progress goes to stderr,
the Markdown table to stdout; the table, the raw samples and a chart go to bench/results/.
bench/README.md says what each figure means.
"""

import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline import base as pipeline_base

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOCKER = os.environ.get("DOCKER", "docker")

VARIANTS = ("article", "docker-init", "project")
LABELS = {"article": "article", "docker-init": "docker init", "project": "this project"}
PORTS = {"article": 80, "docker-init": 8000, "project": 80}
# Where each variant's Dockerfile expects the app: the article's and docker init's at the root.
APP_DIRS = {"article": "app", "docker-init": "app", "project": "src/app"}
GREETING = "greeting.py"  # the file a one-line app change edits
CONTEXT_FILES = {  # beside the app, server/ and requirements.txt
    "article": {"Dockerfile": HERE / "dockerfiles/article.Dockerfile",
                "app.py": HERE / "dockerfiles/article_app.py"},
    "docker-init": {"Dockerfile": HERE / "dockerfiles/docker-init.Dockerfile",
                    ".dockerignore": HERE / "dockerfiles/docker-init.dockerignore"},
    "project": {"Dockerfile": ROOT / "Dockerfile", ".dockerignore": ROOT / ".dockerignore",
                "requirements-build.txt": ROOT / "requirements-build.txt"},
}
# Each set: the lock the cold build installs, and the same lock plus one dependency.
ADDED = "python-dotenv"
SETS = {
    "template": (ROOT / "requirements.txt", HERE / "locks/template-plus1.txt"),
    "heavy": (HERE / "locks/heavy.txt", HERE / "locks/heavy-plus1.txt"),
}
SET_LABELS = {"template": "the template's lock (Flask, gunicorn)",
              "heavy": "a heavier lock (+ SQLAlchemy, psycopg, pydantic, requests, boto3, pandas)"}
# (key, row label, unit): the table's rows, in order. Only requests/s is better higher.
METRICS = [
    ("cold", "cold build (no build cache)", "s"),
    ("app_change", "rebuild after a 1-line app change", "s"),
    ("dep_change", "rebuild after +1 dependency", "s"),
    ("noop", "rebuild, nothing changed", "s"),
    ("fresh", "fresh runner: 1-line change, --cache-from registry", "s"),
    ("fresh_left", "fresh runner: share of the cold time left", "%"),
    ("size", "image size over its base (unpacked)", "MB"),
    ("pull", "bytes to pull over its base (compressed)", "MB"),
    ("layers", "layers", ""),
    ("startup", "`docker run` to the first 200 on /", "s"),
    ("rps", "requests/s on / (higher is better)", ""),
    ("p99", "p99 latency on /", "ms"),
    ("errors", "failed requests", ""),
]
PIPELINE = [("pipeline_unchanged", "`make pipeline`, unchanged tree"),
            ("pipeline_app_change", "`make pipeline`, after a 1-line app change")]

# Issue 11's targets, on the heavy lock: (key, goal, figure, variant, reference, bound). The ratio
# is this project's figure over the reference's, computed within each run, then the median; a
# reference of None is a bound in seconds; requests/s is the one "at least".
GOALS = [
    ("app_change", "one-line app change: no slower than `docker init`'s", "app_change",
     "docker-init", 1.0),
    ("cold", "cold build: <= 0.75x the article's", "cold", "article", 0.75),
    ("dep_change", "one dependency added: <= 0.4x the article's", "dep_change", "article", 0.4),
    ("fresh", "fresh runner, one-line change: <= 0.3x this project's cold build", "fresh",
     "project:cold", 0.3),
    ("size", "bytes over the base: no more than `docker init`'s", "size", "docker-init", 1.0),
    ("startup", "`docker run` to the first 200: no slower than `docker init`'s", "startup",
     "docker-init", 1.0),
    ("rps", "requests/s: no lower than `docker init`'s", "rps", "docker-init", 1.0),
    ("pipeline_unchanged", "`make pipeline`, unchanged tree: <= 10 s", "pipeline_unchanged",
     None, 10.0),
    ("pipeline_app_change", "`make pipeline`, one-line app change: <= 15 s",
     "pipeline_app_change", None, 15.0),
]
GOAL_SET = "heavy"

# The load generator: a fixed number of requests at a fixed concurrency, bounded in time too.
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
LOAD_SECONDS = 60
START = time.monotonic()


def log(message):
    print(f"[bench {time.monotonic() - START:5.0f}s] {message}", file=sys.stderr, flush=True)


def run(*args, timeout=300, check=True, cwd=None, env=None):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, cwd=cwd,
                            env={**os.environ, "DOCKER_BUILDKIT": "1", **(env or {})})
    if check and result.returncode:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout.strip()


# --- figures -------------------------------------------------------------------------------------

def percentile(values, pct):
    """Nearest rank: a latency some request really had, not an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * pct // 100) - 1)] if ordered else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(value, reference):
    return None if value is None or not reference else value / reference


def run_ratios(values, references):
    """Each run's value over the same run's reference: runs share the machine's moment."""
    return [ratio(v, r) for v, r in zip(values, references)]


def summarize(samples):
    """Medians of the runs, and each variant's ratio to the article's: the median of the ratios
    measured within each run."""
    medians = {s: {v: {k: median(xs) for k, xs in by_metric.items()}
                   for v, by_metric in by_variant.items()}
               for s, by_variant in samples["builds"].items()}
    ratios = {s: {v: {k: median(run_ratios(xs, by_variant["article"].get(k, [])))
                      for k, xs in by_metric.items()}
                  for v, by_metric in by_variant.items()}
              for s, by_variant in samples["builds"].items()}
    pipeline = {k: median(xs) for k, xs in samples.get("pipeline", {}).items()}
    return medians, ratios, pipeline


def goals(samples):
    """Issue 11's targets: per goal the measured ratio (or seconds) and whether it is met."""
    builds = samples["builds"].get(GOAL_SET, {})
    rows = []
    for key, label, figure, reference, bound in GOALS:
        if reference is None:
            value = median(samples.get("pipeline", {}).get(figure, []))
        else:
            variant, _, ref_figure = reference.partition(":")
            values = builds.get("project", {}).get(figure, [])
            value = median(run_ratios(values, builds.get(variant, {}).get(ref_figure or figure,
                                                                          [])))
        met = None if value is None else value >= bound if key == "rps" else value <= bound
        rows.append({"key": key, "goal": label, "value": value, "bound": bound,
                     "unit": "s" if reference is None else "x", "met": met})
    return rows


def render_goals(rows):
    lines = ["| goal (heavy lock) | measured | met |", "|---|---:|:---:|"]
    for row in rows:
        value = row["value"]
        shown = ("—" if value is None else f"{value:.1f} s" if row["unit"] == "s"
                 else f"×{value:.2f}")
        met = {None: "not measured", True: "yes", False: "**no**"}[row["met"]]
        lines.append(f"| {row['goal']} | {shown} | {met} |")
    return "\n".join(lines) + "\n"


FORMATS = {"s": "{:.1f} s", "ms": "{:.1f} ms", "MB": "{:.0f} MB", "%": "{:.0f} %", "": "{:.0f}"}


def fmt(value, unit):
    return "—" if value is None else FORMATS[unit].format(value)


def render_table(results):
    lines = []
    for s, by_variant in results["median"].items():
        lines += [f"### {SET_LABELS[s]}", "",
                  "| | " + " | ".join(LABELS[v] for v in VARIANTS) + " |",
                  "|---|" + "---:|" * len(VARIANTS)]
        for key, label, unit in METRICS:
            cells = [fmt(by_variant[v].get(key), unit) for v in VARIANTS]
            ratios = [results["ratio"][s][v].get(key) for v in VARIANTS]
            cells = [c if r is None or v == "article" else f"{c} (×{r:.2f})"
                     for v, c, r in zip(VARIANTS, cells, ratios)]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    if results["pipeline"]:
        lines += ["### this project's whole pipeline (build, smoke, scan, check, publish, sign)",
                  "", "| | this project |", "|---|---:|"]
        lines += [f"| {label} | {fmt(results['pipeline'].get(key), 's')} |"
                  for key, label in PIPELINE]
        lines.append("")
    return "\n".join(lines)


# --- build contexts ------------------------------------------------------------------------------

def prepare_context(variant, lock, dest):
    """The same app files and lock for every variant, with that variant's Dockerfile."""
    dest = Path(dest)
    shutil.rmtree(dest, ignore_errors=True)
    # server/: what the project's image serves the app with
    for source, folder in (("src/app", APP_DIRS[variant]), ("server", "server")):
        shutil.copytree(ROOT / source, dest / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py[co]", "tests"))
    shutil.copy(lock, dest / "requirements.txt")
    for name, source in CONTEXT_FILES[variant].items():
        shutil.copy(source, dest / name)
    return dest


def edit_app(tree):
    """A one-line change in the app: a new last line in its greeting.py, different every time."""
    original = (ROOT / APP_DIRS["project"] / GREETING).read_text()
    edited = next(Path(tree) / d / GREETING for d in APP_DIRS.values()
                  if (Path(tree) / d / GREETING).exists())
    edited.write_text(original + f"# bench edit {uuid.uuid4().hex}\n")


# --- the engine ----------------------------------------------------------------------------------

def image_info(ref):
    return json.loads(run(DOCKER, "image", "inspect", "-f", "{{json .}}", ref))


def unpacked(ref):
    """Bytes on disk once pulled: the layers' sizes as the engine's history has them (with the
    containerd image store, `docker image inspect`'s Size is the compressed content)."""
    sizes = run(DOCKER, "history", "--human=false", "--format", "{{.Size}}", ref).split()
    return sum(int(size) for size in sizes)


def remove_images(ids, keep):
    for image_id in ids - {keep}:
        run(DOCKER, "rmi", "-f", image_id, check=False)


def base_args(variant, base):
    """The same base for every variant: the article's and docker init's take it as a build
    argument, this project's as the named context that replaces its digest-pinned FROM."""
    if variant == "project":
        return pipeline_base.args({"PYTHON_IMAGE": base}) if base != pipeline_base.ref() else []
    return ["--build-arg", f"PYTHON_IMAGE={base}"]


def get(port, timeout=5, host="127.0.0.1"):
    """GET / on loopback on a new connection (gunicorn's sync workers close each one anyway)."""
    if host != "127.0.0.1":
        raise ValueError("the bench only sends requests to 127.0.0.1")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def load(port, count, concurrency, seconds=LOAD_SECONDS):
    """`count` requests from `concurrency` threads, stopping early after `seconds`."""
    lock, tickets, done = threading.Lock(), iter(range(count)), []
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if next(tickets, None) is None:
                    return
            start = time.perf_counter()
            ok = get(port) == 200
            done.append((ok, time.perf_counter() - start))  # list.append is thread-safe

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 10)
    wall = time.perf_counter() - start
    latencies = [1000 * elapsed for ok, elapsed in done if ok]
    return {"requests": len(done), "errors": len(done) - len(latencies),
            "rps": len(latencies) / wall, "p99": percentile(latencies, 99)}


def serve(image, port):
    """Seconds from `docker run` to the first 200 on /, then the load on a warmed-up server."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    run(DOCKER, "run", "-d", "--name", name, "-p", f"127.0.0.1::{port}", image)
    try:
        host_port = int(run(DOCKER, "port", name, f"{port}/tcp").splitlines()[0].rsplit(":", 1)[1])
        while get(host_port, timeout=2) != 200:
            if time.perf_counter() - start > 60:
                raise RuntimeError(f"{image} never answered:\n{run(DOCKER, 'logs', name)}")
            time.sleep(0.02)
        startup = time.perf_counter() - start
        load(host_port, 100, CONCURRENCY)
        return {"startup": startup, **load(host_port, REQUESTS, CONCURRENCY)}
    finally:
        run(DOCKER, "rm", "-f", name, check=False)


def series(variant, set_name, base, registry, work):
    """Every build figure of one variant and one dependency set, from a cold cache."""
    lock, plus_one = SETS[set_name]
    context = prepare_context(variant, lock, Path(work) / f"{variant}-{set_name}")
    tag, ids, iidfile = f"bench/{variant}-{set_name}", set(), Path(work) / "iid"  # not in context

    def build(*extra):
        start = time.perf_counter()
        run(DOCKER, "buildx", "build", "--load", "--iidfile", iidfile, *base_args(variant, base),
            "-t", tag, *extra, context, timeout=1800)
        ids.add(iidfile.read_text().strip())
        return time.perf_counter() - start

    figures = {}
    run(DOCKER, "builder", "prune", "-af")  # the build cache and every cache mount
    figures["cold"] = build()
    image, base_image = image_info(tag), image_info(base)
    figures["size"] = (unpacked(tag) - unpacked(base)) / 1e6
    figures["pull"] = (image["Size"] - base_image["Size"]) / 1e6
    figures["layers"] = len(image["RootFS"]["Layers"])
    served = serve(tag, PORTS[variant])
    figures.update({k: served[k] for k in ("startup", "rps", "p99", "errors")})
    figures["noop"] = build()
    edit_app(context)
    figures["app_change"] = build()
    shutil.copy(plus_one, context / "requirements.txt")
    figures["dep_change"] = build()
    # A fresh CI runner: the registry has the last build's whole cache (every stage, mode=max);
    # the engine has nothing but the base.
    cache = f"type=registry,ref={registry}/bench/cache:{variant}-{set_name}"
    build("--cache-to", f"{cache},mode=max")
    remove_images(ids, base_image["Id"])
    run(DOCKER, "builder", "prune", "-af")
    edit_app(context)
    figures["fresh"] = build("--cache-from", cache)
    figures["fresh_left"] = 100 * figures["fresh"] / figures["cold"]
    remove_images(ids, base_image["Id"])
    return figures


# --- the project's pipeline ----------------------------------------------------------------------

def git_copy(dest):
    """A git copy of this work tree (tracked and untracked files), as the pipeline tests make."""
    names = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, names.split("\0")):
        source, target = ROOT / name, Path(dest) / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps mtimes: make sees the venv as up to date
    run("git", "init", "-q", "-b", "main", cwd=dest)
    commit(dest)
    return Path(dest)


def commit(tree):
    run("git", "add", "-A", cwd=tree)
    run("git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm",
        "bench", cwd=tree)


def pipeline_series(registry, work, runs):
    # The scan stage downloads its DB from our registry: an empty one, so no finding stops it.
    from template.tests.support.trivydb import pack, push, write_db
    push(f"http://{registry}", "trivy-db", pack(write_db(Path(work) / "trivy-db")), tag="2")
    tree = git_copy(Path(work) / "pipeline")
    venv = Path(sys.prefix)
    env = {"DOCKER": DOCKER, "REGISTRY": registry, "IMAGE": "bench/pipeline",
           "TRIVY_DB_REPOSITORY": f"{registry}/trivy-db:2",
           "TRIVY_CACHE_DIR": str(Path(work) / "trivy-cache"),
           "COSIGN_KEY": str(Path(work) / "cosign/pipeline.key")}
    ids = set()

    def make():
        start = time.perf_counter()
        run("make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed",
            "pipeline", cwd=tree, env=env, timeout=1800)
        record = json.loads((tree / "artifacts/run.json").read_text())
        ids.update(platform["ref"] for platform in record["platforms"])
        return time.perf_counter() - start

    log("pipeline: a first run, to warm up (reported in results.json only)")
    samples = {"pipeline_first": [make()], "pipeline_unchanged": [], "pipeline_app_change": []}
    for n in range(runs):
        log(f"pipeline, run {n + 1}/{runs}: unchanged tree, then a 1-line app change")
        samples["pipeline_unchanged"].append(make())
        # A line in a module of its own beside the package (it ships in the app's layer as any
        # change does): the sample's files stay as shipped, which the template's own tests in
        # the check stage hold make adopt to.
        (tree / "src/edit.py").write_text(f"# bench edit {uuid.uuid4().hex}\n")
        commit(tree)
        samples["pipeline_app_change"].append(make())
    return samples, ids


# --- the run -------------------------------------------------------------------------------------

@contextmanager
def local_registry(work):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    env = {"DOCKER": DOCKER, "REGISTRY": address, "PYTHON": sys.executable,
           "REGISTRY_STATE": str(Path(work) / "registry")}
    run("scripts/registry.sh", "start", cwd=ROOT, env=env)
    try:
        yield address
    finally:
        run("scripts/registry.sh", "stop", cwd=ROOT, env=env, check=False)


def machine(base):
    cpu = re.search(r"^model name\s*: (.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    kib = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)[1])
    os_name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    server = json.loads(run(DOCKER, "version", "--format", "{{json .Server}}"))
    buildx = " ".join(run(DOCKER, "buildx", "version").split()[:2])
    buildx = buildx.replace("github.com/docker/", "")
    return {"cpu": cpu[1] if cpu else platform.processor(), "cores": os.cpu_count(),
            "memory_gib": round(kib / 2**20, 1), "kernel": platform.release(), "os": os_name,
            "engine": f"Docker Engine {server['Version']}, {buildx} (docker driver)",
            "storage_driver": run(DOCKER, "info", "--format", "{{.Driver}}")
            + (" (containerd image store)" if "containerd" in run(
                DOCKER, "info", "--format", "{{json .DriverStatus}}") else ""),
            "base": f"{base} ({image_info(base)['Id'][:19]})"}


README = ROOT / "README.md"
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")


def summary(results):
    """What the README quotes between its markers: where and when, the goals, the tables."""
    m = results["machine"]
    return (f"Latest run: {results['date']}, medians of {results['runs']} run(s), {m['cpu']}, "
            f"{m['cores']} cores, {m['memory_gib']} GiB, {m['engine']}, base `{m['base']}`.\n\n"
            f"{render_goals(results['goals'])}\n"
            "![Each figure as a ratio to the article's Dockerfile]"
            "(template/bench/results/chart.png)\n\n"
            f"{render_table(results)}")


def between_markers(text, inner):
    """`text` with what lies between the bench's markers replaced by `inner`."""
    start, end = (text.index(marker) for marker in MARKERS)
    return text[:start + len(MARKERS[0])] + "\n" + inner + text[end:]


def write_results(results):
    """RESULTS.md, results.json, chart.png and the README's section, each replaced whole (a
    .tmp, then a rename)."""
    RESULTS.mkdir(exist_ok=True)
    m = results["machine"]
    text = (RESULTS.parent / "results-template.md").read_text().format(
        date=results["date"], runs=results["runs"], requests=results["requests"],
        concurrency=results["concurrency"], table=render_table(results),
        goals=render_goals(results["goals"]), **m)
    readme = between_markers(README.read_text(), summary(results))
    for path, write in ((RESULTS / "RESULTS.md", lambda p: p.write_text(text)),
                        (RESULTS / "results.json",
                         lambda p: p.write_text(json.dumps(results, indent=1))),
                        (RESULTS / "chart.png", lambda p: chart(results, p)),
                        (README, lambda p: p.write_text(readme))):
        temporary = path.with_name(path.name + ".tmp")
        write(temporary)
        os.replace(temporary, path)


def chart(results, path):
    import matplotlib  # only `make bench` installs it: the tests and the pipeline never need it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [(k, label, unit) for k, label, unit in METRICS if k != "errors"]
    sets = list(results["ratio"])
    rows = max(len(sets), 1)  # a pipeline-only run (BENCH_SETS=) still gets a chart, empty
    figure, axes = plt.subplots(rows, 1, figsize=(12, 5 * rows), squeeze=False)
    for ax, s in zip(axes[:, 0], sets):
        for i, variant in enumerate(("docker-init", "project")):
            values = [results["ratio"][s][variant].get(k) or float("nan") for k, _, _ in keys]
            bars = ax.bar([x + (i - 0.5) * 0.4 for x in range(len(keys))], values, 0.4,
                          label=LABELS[variant])
            ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7)
        ax.axhline(1, color="black", linewidth=1, label="the article's Dockerfile = 1")
        ax.set_yscale("log")
        ax.set_ylim(top=ax.get_ylim()[1] * 1.5)  # room for the bars' labels
        ax.set_xticks(range(len(keys)), [label.replace("`", "") for _, label, _ in keys],
                      rotation=25, ha="right", fontsize=8)
        ax.set_ylabel("ratio to the article (log scale)")
        ax.set_title(f"{SET_LABELS[s]}: median of {results['runs']} run(s)", fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    m = results["machine"]
    figure.suptitle(f"make bench, {results['date']}: {m['cpu']}, {m['cores']} cores, "
                    f"{m['memory_gib']} GiB, {m['engine']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110, format="png")
    plt.close(figure)


def pins(lock):
    return {line.split(" ")[0] for line in Path(lock).read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))}


def stale_locks():
    """A "+1" lock must be its base lock plus ADDED, every other pin the same: the app's lock
    moves (Dependabot, `make lock`) without the bench's, so this is checked when the bench runs."""
    stale = []
    for name, (base, plus_one) in SETS.items():
        added, dropped = pins(plus_one) - pins(base), pins(base) - pins(plus_one)
        if {pin.split("==")[0] for pin in added} != {ADDED} or dropped:
            stale.append(f"{Path(plus_one).relative_to(ROOT)} is not {Path(base).name} + {ADDED}")
    return stale


def main():
    if stale := stale_locks():
        sys.exit(f"bench: {'; '.join(stale)}: run `make bench-lock`")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    sets = [s for s in os.environ.get("BENCH_SETS", ",".join(SETS)).split(",") if s]
    if runs < 1 or not set(sets) <= set(SETS):
        sys.exit(f"usage: BENCH_RUNS=N (>= 1) BENCH_SETS={','.join(SETS)} make bench")
    base = pipeline_base.image()
    results = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "runs": runs,
               "requests": REQUESTS, "concurrency": CONCURRENCY, "machine": machine(base)}
    log(f"{runs} run(s) on {results['machine']['cpu']}, {results['machine']['engine']}; "
        f"base {base}")
    builds = {s: {v: {} for v in VARIANTS} for s in sets}
    with tempfile.TemporaryDirectory(prefix="bench-") as work, local_registry(work) as registry:
        for n in range(runs):
            # The order rotates, so no variant is always the first to fetch from PyPI.
            order = VARIANTS[n % 3:] + VARIANTS[:n % 3]
            for s in sets:
                for variant in order:
                    log(f"run {n + 1}/{runs}, {s} lock: {LABELS[variant]}")
                    figures = series(variant, s, base, registry, work)
                    log("  " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))
                    for key, value in figures.items():
                        builds[s][variant].setdefault(key, []).append(value)
        pipeline, ids = {}, set()
        if os.environ.get("BENCH_PIPELINE", "1") != "0":
            pipeline, ids = pipeline_series(registry, work, runs)
        remove_images(ids, image_info(base)["Id"])
    results["samples"] = {"builds": builds, "pipeline": pipeline}
    results["median"], results["ratio"], results["pipeline"] = summarize(results["samples"])
    results["goals"] = goals(results["samples"])
    write_results(results)
    log(f"done in {time.monotonic() - START:.0f} s; wrote {RESULTS.relative_to(ROOT)}/")
    print(render_goals(results["goals"]) + "\n" + render_table(results))


if __name__ == "__main__":
    main()
