"""Benchmark `autokit upgrade --check --all` on a repository of 2,000 automations.

Builds, with one `git fast-import` stream, a repository whose `templates/automation/`
holds this project's csv-report template (v1, then v2 in a second commit) and 2,000
automations with template records, one in three still at v1. `--check` renders nothing:
it compares each record with the template's current version, reading each template.yaml
once and the metadata through the cached inventory. Times fresh processes as CI would run
them: the first run (the metadata cache cold) and the median of several warm runs.
Goal: at most 2 s warm.

Run: `python benchmarks/bench_upgrade.py` (or `nox -s bench -- bench_upgrade`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = 2_000
RUNS = 7
GOAL_SECONDS = 2.0
PROJECT = Path(__file__).resolve().parent.parent
TEMPLATE = "templates/automation/csv-report"
RESULTS = Path(__file__).parent / "results" / "bench_upgrade.json"


def metadata(name: str, recorded: int) -> str:
    return (
        f"name: {name}\ntitle: {name.title()}\nsummary: Does the {name} job.\n"
        "version: \"1.0.0\"\nowners: ['@alice']\ndepartment: finance\n"
        "tags: [csv, report]\nstatus: stable\nruntime: python\nentrypoint: main.py\n"
        "classification: internal\ntime_saved_minutes: 5\n"
        "inputs:\n  data: {type: path, description: The CSV export, required: true}\n"
        "template:\n  name: csv-report\n"
        f'  version: {recorded}\n  answers:\n    title: "{name.title()}"\n'
        f'    summary: "Does the {name} job."\n    owner: "@alice"\n'
        '    department: "finance"\n'
    )


def folder_files(name: str, recorded: int) -> dict[str, str]:
    prefix = f"automations/{name}/"
    return {
        prefix + "automation.yaml": metadata(name, recorded),
        prefix + "README.md": f"# {name}\n\nWhat {name} does.\n",
        prefix + "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First version.\n",
        prefix + "main.py": "def main(data):\n    return {'rows': 0}\n",
    }


def template_files(version: int) -> dict[str, bytes]:
    folder = PROJECT / TEMPLATE
    files = {
        f"{TEMPLATE}/{path.relative_to(folder).as_posix()}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    files[f"{TEMPLATE}/template.yaml"] = (
        f"description: Reads a CSV export and writes a summary\nversion: {version}\n".encode()
    )
    return files


def _data(raw: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(raw), raw)


def _commit(number: int, message: str, files: dict[str, bytes], parent: bool) -> bytes:
    out = [
        f"commit refs/heads/main\nmark :{number}\n".encode(),
        f"committer Bench <bench@example.com> {1_700_000_000 + number} +0000\n".encode(),
        _data(message.encode()),
    ]
    if parent:
        out.append(f"from :{number - 1}\n".encode())
    for path, content in files.items():
        out.append(f"M 100644 inline {path}\n".encode() + _data(content))
    return b"".join(out)


def build(root: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    first: dict[str, bytes] = template_files(1)
    for index in range(SIZE):
        name = f"report-{index:04d}"
        recorded = 1 if index % 3 == 0 else 2
        first.update({k: v.encode() for k, v in folder_files(name, recorded).items()})
    stream = [
        _commit(1, "csv-report v1 and the automations", first, parent=False),
        _commit(2, "csv-report v2", template_files(2), parent=True),
    ]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)


def run_once(root: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), "upgrade", "--check", "--all"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"upgrade --check failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def main() -> int:
    behind = len(range(0, SIZE, 3))
    with tempfile.TemporaryDirectory(prefix="autokit-bench-") as tmp:
        os.environ["AUTOKIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        root = Path(tmp) / "repo"
        started = time.perf_counter()
        build(root)
        built = time.perf_counter() - started
        cold, out = run_once(root)
        expected = f"{behind} automation(s) behind their template, {SIZE - behind} up to date"
        assert out.splitlines()[-1] == expected, out.splitlines()[-1]
        warm = [run_once(root)[0] for _ in range(RUNS)]
    median = statistics.median(warm)
    print(
        f"upgrade --check --all, {SIZE} automations ({behind} behind), built in {built:.2f}s: "
        f"cold {cold:.3f}s, warm {min(warm):.3f}s/{median:.3f}s min/median of {RUNS} "
        f"(goal <= {GOAL_SECONDS}s: {'met' if median <= GOAL_SECONDS else 'MISSED'})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "benchmark": "upgrade-check",
        "automations": SIZE,
        "behind": behind,
        "runs": RUNS,
        "cold_s": cold,
        "warm_min_s": min(warm),
        "warm_median_s": median,
        "goal_s": GOAL_SECONDS,
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
