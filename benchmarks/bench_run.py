"""Benchmark `autokit run`: its overhead over running the entrypoint directly, and history writes.

1. A small automation (no requirements) with a warm environment: `autokit run` end to end,
   unsandboxed (`AUTOKIT_SANDBOX=off`) and in the bubblewrap sandbox (`required`), against
   the same entrypoint run directly with that environment's Python. Goals: at most 100 ms
   of overhead unsandboxed and 120 ms sandboxed (medians).
2. History insert latency (median and p95) with 8 concurrent writer processes.
3. Masking a 100 MB output stream (64 KiB reads, as the supervisor reads a pipe) with two
   secrets, each masked in all its encoded forms, against the same stream with none.
4. The scan of the output folder after a run: one 100 MB file, one secret. Goal: at most
   50 ms (see the closing note for what pure Python reaches).
5. The first run of an automation with one requirement on an empty cache (no
   environment, empty uv cache): goal at most 2 s with uv. The requirement is a tiny
   wheel built here and offered through a local find-links folder with the index off, so
   the network does not enter the figure; the same run against PyPI (`six==1.16.0`) and
   with venv + pip (`AUTOKIT_NO_UV=1`) are measured once each for comparison.
6. The first run of an automation that uses one library (which pins that wheel), its
   environment not built yet but uv's cache warm: goal at most 1 s.

Prints a table and writes benchmarks/results/bench_run.json.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from toolkit.secret_forms import minimal_forms

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RUNS = 25
WRITERS = 8
INSERTS_PER_WRITER = 300

METADATA = """\
name: bench-hello
title: Bench hello
summary: Greets someone, for the benchmark.
version: 1.0.0
owners: ["@alice"]
department: operations
status: stable
runtime: python
entrypoint: main.py
classification: internal
inputs:
  greeting: {type: string, description: who to greet, default: world}
"""
MAIN = "def main(greeting='world'):\n    print('hello', greeting)\n    return {'ok': True}\n"


def make_repository(base: Path) -> Path:
    root = base / "repo"
    folder = root / "automations" / "bench-hello"
    folder.mkdir(parents=True)
    (folder / "automation.yaml").write_text(METADATA)
    (folder / "main.py").write_text(MAIN)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)
    return root


def timed(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its children) of a command.

    CPU time barely moves with the machine's load, so it backs up the wall time on a
    busy machine. The processes inside a bubblewrap sandbox are not counted (its PID
    namespace reaps them), so a sandboxed run's CPU time is autokit's and bwrap's only.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_overhead(root: Path) -> dict[str, float]:
    autokit = [sys.executable, "-m", "toolkit", "--repo", str(root), "run", "bench-hello"]
    subprocess.run(autokit, check=True, capture_output=True)  # build env, fill caches
    plan = subprocess.run(
        [*autokit, "--dry-run", "--format", "json"], check=True, capture_output=True, text=True
    )
    python = json.loads(plan.stdout)["plan"]["command"].split()[0]
    folder = root / "automations" / "bench-hello"
    direct = [
        python,
        "-c",
        f"import sys; sys.path.insert(0, {str(folder)!r}); "
        "from main import main; import json; print(json.dumps(main()))",
    ]
    unsandboxed = {**os.environ, "AUTOKIT_SANDBOX": "off"}
    sandboxed = {**os.environ, "AUTOKIT_SANDBOX": "required"}
    subprocess.run(autokit, check=True, capture_output=True, env=sandboxed)  # bwrap works?
    autokit_times, sandboxed_times, direct_times = [], [], []
    for _ in range(RUNS):  # interleaved, so drift hits every side alike
        autokit_times.append(timed(autokit, env=unsandboxed))
        sandboxed_times.append(timed(autokit, env=sandboxed))
        direct_times.append(timed(direct))
    autokit_wall = statistics.median(t[0] for t in autokit_times) * 1000
    sandboxed_wall = statistics.median(t[0] for t in sandboxed_times) * 1000
    direct_wall = statistics.median(t[0] for t in direct_times) * 1000
    autokit_cpu = statistics.median(t[1] for t in autokit_times) * 1000
    sandboxed_cpu = statistics.median(t[1] for t in sandboxed_times) * 1000
    direct_cpu = statistics.median(t[1] for t in direct_times) * 1000
    return {
        "sandboxed_run_median_ms": sandboxed_wall,
        "sandboxed_overhead_median_ms": sandboxed_wall - direct_wall,
        "sandboxed_cpu_median_ms": sandboxed_cpu,
        "autokit_run_median_ms": autokit_wall,
        "direct_median_ms": direct_wall,
        "overhead_median_ms": autokit_wall - direct_wall,
        "autokit_run_cpu_median_ms": autokit_cpu,
        "direct_cpu_median_ms": direct_cpu,
        "overhead_cpu_median_ms": autokit_cpu - direct_cpu,
    }


def heavy_modules_on_run_path() -> list[str]:
    """Heavy libraries that `autokit run` imports (should be none)."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['autokit', 'run', '--help']\n"
        "from toolkit import run, runtimes, inputs, secrets, history, environments, git\n"
        "from toolkit.commands import run as run_command\n"
        "heavy = ('git', 'cerberus', 'jinja2', 'mkdocs', 'yaml')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def _writer(home: str, index: int, barrier: Any, results: Any) -> None:
    from toolkit.history import RunRecord, now_iso, open_history

    latencies = []
    with open_history(Path(home)) as history:
        barrier.wait()  # every writer starts at once, so they contend for the lock
        for number in range(INSERTS_PER_WRITER):
            record = RunRecord(
                id=f"w{index}-{number}",
                automation="bench",
                version="1.0.0",
                pinned=False,
                git_commit=None,
                dirty=False,
                user="bench",
                host=socket.gethostname(),
                pid=os.getpid(),
                start_token="",
                child_pid=None,
                inputs={"n": number},
                status="running",
                exit_code=None,
                started_at=now_iso(),
                ended_at=None,
                duration=None,
                result=None,
                error=None,
                run_dir="/tmp",
            )
            start = time.perf_counter()
            history.start(record)
            latencies.append(time.perf_counter() - start)
    results.put(latencies)


FIRST_RUNS = 5
TINY = "benchtiny"
TINY_MAIN = f"import {TINY}\n\n\ndef main(greeting='world'):\n    return {TINY}.VALUE\n"


def tiny_wheel(folder: Path) -> Path:
    """A one-module pure-Python wheel, `benchtiny==1.0.0`, with a correct RECORD."""
    import base64
    import hashlib
    import zipfile

    info = f"{TINY}-1.0.0.dist-info"
    files = {
        f"{TINY}.py": b"VALUE = 'tiny'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {TINY}\nVersion: 1.0.0\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{TINY}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def bench_first_run(base: Path) -> dict[str, float]:
    """`autokit run` of an automation with one requirement, each time on an empty cache."""
    root = base / "first-run"
    folder = root / "automations" / "bench-first"
    folder.mkdir(parents=True)
    metadata = METADATA.replace("bench-hello", "bench-first") + f"requirements: [{TINY}==1.0.0]\n"
    (folder / "automation.yaml").write_text(metadata)
    (folder / "main.py").write_text(TINY_MAIN)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)
    wheels = tiny_wheel(base / "wheels").parent
    offline = {"UV_FIND_LINKS": str(wheels), "UV_NO_INDEX": "1"}
    offline |= {"PIP_FIND_LINKS": str(wheels), "PIP_NO_INDEX": "1"}

    def first_run(label: str, requirement: str, extra: dict[str, str]) -> float:
        env = {**os.environ, **extra, "AUTOKIT_CACHE_DIR": str(base / "first-cache" / label)}
        (folder / "automation.yaml").write_text(metadata.replace(f"{TINY}==1.0.0", requirement))
        command = [sys.executable, "-m", "toolkit", "--repo", str(root), "run", "bench-first"]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        return time.perf_counter() - start

    local = f"{TINY}==1.0.0"
    with_uv = [first_run(f"uv-{n}", local, offline) for n in range(FIRST_RUNS)]
    (folder / "main.py").write_text("import six\n\n\ndef main(greeting=''):\n    return 1\n")
    from_pypi = first_run("uv-pypi", "six==1.16.0", {})
    (folder / "main.py").write_text(TINY_MAIN)
    with_pip = first_run("pip", local, {**offline, "AUTOKIT_NO_UV": "1"})
    return {
        "first_run_uv_median_s": statistics.median(with_uv),
        "first_run_uv_max_s": max(with_uv),
        "first_run_uv_pypi_s": from_pypi,
        "first_run_venv_pip_s": with_pip,
    }


LIBRARY_METADATA = f"""\
name: benchlib
title: Bench library
summary: Shared code, for the benchmark.
version: 1.0.0
owners: ["@alice"]
requirements: [{TINY}==1.0.0]
"""
LIBRARY_CODE = (
    f'"""Shared code."""\n\nimport {TINY}\n\n__all__ = ["value"]\n\n\n'
    f'def value():\n    """The value."""\n    return {TINY}.VALUE\n'
)


def bench_first_run_with_library(base: Path) -> dict[str, float]:
    """`autokit run` of an automation using one library (which pins one requirement), its
    environment not built yet and uv's cache warm: what a person sees the first time."""
    root = base / "library-run"
    folder = root / "automations" / "bench-shared"
    folder.mkdir(parents=True)
    metadata = METADATA.replace("bench-hello", "bench-shared") + "libraries: [benchlib]\n"
    (folder / "automation.yaml").write_text(metadata)
    (folder / "main.py").write_text(
        "import benchlib\n\n\ndef main(greeting='world'):\n    return {'v': benchlib.value()}\n"
    )
    library = root / "libraries" / "benchlib"
    (library / "benchlib").mkdir(parents=True)
    (library / "library.yaml").write_text(LIBRARY_METADATA)
    (library / "README.md").write_text("# Bench library\n")
    (library / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n\n- First.\n")
    (library / "benchlib" / "__init__.py").write_text(LIBRARY_CODE)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)
    wheels = tiny_wheel(base / "library-wheels").parent
    cache = base / "library-cache"
    env = {
        **os.environ,
        "UV_FIND_LINKS": str(wheels),
        "UV_NO_INDEX": "1",
        "AUTOKIT_CACHE_DIR": str(cache),
    }
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), "run", "bench-shared"]
    subprocess.run(command, check=True, capture_output=True, env=env)  # uv's cache warm
    times = []
    for _ in range(FIRST_RUNS):
        shutil.rmtree(cache / "environments")  # the automation's first run again
        start = time.perf_counter()
        result = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        assert '"tiny"' in result.stdout, result.stdout
    return {
        "first_run_one_library_warm_uv_median_s": statistics.median(times),
        "first_run_one_library_warm_uv_max_s": max(times),
    }


def bench_history(base: Path) -> dict[str, float]:
    home = base / "history"
    from toolkit.history import open_history

    open_history(home).close()  # schema created outside the measurement
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(WRITERS), context.Queue()
    workers = [
        context.Process(target=_writer, args=(str(home), i, barrier, queue)) for i in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(value for result in results for value in result)
    with open_history(home) as history:
        stored = len(history.find(limit=None))
    return {
        "inserts": len(latencies),
        "stored_rows": stored,
        "insert_median_ms": statistics.median(latencies) * 1000,
        "insert_p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }


STREAM_BYTES = 100 * 1024 * 1024
BENCH_SECRETS = ["hunter2-very-secret", "sk_live_51HxY7bKq9pLmN3"]


def _log_lines() -> bytes:
    """Output like a chatty automation's: timestamps, counters and words."""
    words = ["inventory", "row", "updated", "status", "ok", "warehouse", "sku", "qty"]
    lines = [
        f"2024-05-01 12:00:{i % 60:02d} INFO {words[i % 8]} {i} {words[(i * 3) % 8]} "
        f"{i * 7919 % 100000} {words[(i * 5) % 8]}\n"
        for i in range(2000)
    ]
    return "".join(lines).encode()


def bench_masking() -> dict[str, float]:
    """Seconds to pass 100 MB through the masked stream, with and without secrets."""
    from toolkit.run.process import MaskedStream
    from toolkit.secrets import Masker

    text = _log_lines()
    chunk = (text * (65536 // len(text) + 1))[:65536]

    def seconds(values: list[str]) -> float:
        with open(os.devnull, "w") as sink, open(os.devnull, "w") as log:
            stream = MaskedStream(Masker(values), sink, log)
            start = time.perf_counter()
            for _ in range(STREAM_BYTES // len(chunk)):
                stream.write(chunk)
            stream.close()
            return time.perf_counter() - start

    return {
        "stream_100mb_no_secrets_s": min(seconds([]) for _ in range(3)),
        "stream_100mb_two_secrets_s": min(seconds(BENCH_SECRETS) for _ in range(3)),
    }


def bench_output_scan(base: Path) -> dict[str, float]:
    """Milliseconds to scan an output folder holding one 100 MB file, for one secret."""
    from toolkit.run.leaks import leaking_files
    from toolkit.secrets import Masker

    output = base / "scan-output"
    output.mkdir()
    text = _log_lines()
    (output / "export.log").write_bytes(text * (STREAM_BYTES // len(text)))
    one, two = Masker(BENCH_SECRETS[:1]), Masker(BENCH_SECRETS)
    leaking_files(output, one)  # the file in the page cache, as just after the run
    times_one = [_timed_call(lambda: leaking_files(output, one)) for _ in range(5)]
    times_two = [_timed_call(lambda: leaking_files(output, two)) for _ in range(5)]
    return {
        "scan_100mb_one_secret_ms": statistics.median(times_one) * 1000,
        "scan_100mb_two_secrets_ms": statistics.median(times_two) * 1000,
        "scan_forms_one_secret": len(minimal_forms(one.forms)),
    }


def _timed_call(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def first_run_rows(first: dict[str, float]) -> list[tuple[str, str]]:
    return [
        (
            "first run, 1 requirement, empty cache, uv, local wheel, median (goal <= 2 s)",
            f"{first['first_run_uv_median_s']:.2f} s (max {first['first_run_uv_max_s']:.2f})",
        ),
        ("first run, same, uv, six==1.16.0 from PyPI", f"{first['first_run_uv_pypi_s']:.2f} s"),
        ("first run, same, venv + pip, local wheel", f"{first['first_run_venv_pip_s']:.2f} s"),
        (
            "first run, 1 library (1 requirement), warm uv cache, median (goal <= 1 s)",
            f"{first['first_run_one_library_warm_uv_median_s']:.2f} s "
            f"(max {first['first_run_one_library_warm_uv_max_s']:.2f})",
        ),
    ]


def main() -> None:
    # An installed autokit has its bytecode compiled (pip does it); an editable checkout
    # run with PYTHONDONTWRITEBYTECODE would compile every module on every start instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "toolkit")], check=True)
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        os.environ["AUTOKIT_HOME"] = str(base / "home")
        os.environ["AUTOKIT_CACHE_DIR"] = str(base / "cache")
        overhead = bench_overhead(make_repository(base))
        history = bench_history(base)
        scan = bench_output_scan(base)
        first = bench_first_run(base)
        first |= bench_first_run_with_library(base)
    masking = bench_masking()
    heavy = heavy_modules_on_run_path()
    rows = [
        (
            "autokit run (warm env, unsandboxed), median",
            f"{overhead['autokit_run_median_ms']:.1f} ms",
        ),
        (
            "autokit run (warm env, sandboxed), median",
            f"{overhead['sandboxed_run_median_ms']:.1f} ms",
        ),
        ("entrypoint run directly, median", f"{overhead['direct_median_ms']:.1f} ms"),
        ("overhead unsandboxed (goal <= 100 ms)", f"{overhead['overhead_median_ms']:.1f} ms"),
        (
            "overhead sandboxed (goal <= 120 ms)",
            f"{overhead['sandboxed_overhead_median_ms']:.1f} ms",
        ),
        ("autokit run CPU time, median", f"{overhead['autokit_run_cpu_median_ms']:.1f} ms"),
        (
            "sandboxed run CPU time, median (autokit and bwrap only)",
            f"{overhead['sandboxed_cpu_median_ms']:.1f} ms",
        ),
        ("entrypoint directly CPU time, median", f"{overhead['direct_cpu_median_ms']:.1f} ms"),
        ("overhead in CPU time", f"{overhead['overhead_cpu_median_ms']:.1f} ms"),
        (f"history insert, {WRITERS} writers, median", f"{history['insert_median_ms']:.2f} ms"),
        (f"history insert, {WRITERS} writers, p95", f"{history['insert_p95_ms']:.2f} ms"),
        ("rows stored / inserted", f"{history['stored_rows']} / {history['inserts']}"),
        ("heavy modules on the run path", ", ".join(heavy) or "none"),
        ("100 MB output stream, no secrets", f"{masking['stream_100mb_no_secrets_s']:.2f} s"),
        ("100 MB output stream, two secrets", f"{masking['stream_100mb_two_secrets_s']:.2f} s"),
        (
            f"output scan, 100 MB, one secret ({scan['scan_forms_one_secret']} forms; goal 50 ms)",
            f"{scan['scan_100mb_one_secret_ms']:.0f} ms",
        ),
        ("output scan, 100 MB, two secrets", f"{scan['scan_100mb_two_secrets_ms']:.0f} ms"),
        *first_run_rows(first),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'measure'.ljust(width)}  value   (load average {os.getloadavg()[0]:.1f})")
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        **overhead,
        **history,
        **masking,
        **scan,
        **first,
        "heavy_modules": heavy,
        "runs": RUNS,
        "writers": WRITERS,
    }
    (RESULTS / "bench_run.json").write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
