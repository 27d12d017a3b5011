"""How long the scheduled workflow takes to decide what runs, at 2,000 automations.

`autokit schedule due` is the first thing every scheduled workflow run does, and
`autokit schedule render --check` runs on every pull request. Measured as a user sees them:
a fresh `autokit` process each time, with the metadata cache cold and then warm. Rendering
writes every generated workflow, a Run form per automation included (each automation has
six typed inputs; every 50th has 30, so its form has an `other_inputs` field).

    python benchmarks/bench_schedule.py [--automations 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "schedule.json"
CRONS = [
    f"{minute} {hour} * * {days}"
    for minute in (0, 30)
    for hour in range(6, 16)
    for days in ("*", "1-5")
]


INPUTS = {
    "source": {"type": "path", "description": "The export to read", "required": True},
    "days": {"type": "integer", "description": "Days overdue", "default": 14, "min": 0},
    "rate": {"type": "number", "description": "A rate", "min": 0, "max": 1},
    "mode": {"type": "choice", "description": "How", "choices": ["fast", "safe: slow"]},
    "since": {"type": "date", "description": "From this day"},
    "dry_run": {"type": "boolean", "description": "Change nothing", "default": True},
}
WIDE_INPUTS = {f"field_{i:02d}": {"type": "string", "description": f"Field {i}"} for i in range(30)}


def build_repository(root: Path, count: int) -> None:
    """`count` valid automations; every third one has one of 40 schedules and a secret."""
    for index in range(count):
        name = f"automation-{index:05d}"
        folder = root / "automations" / name
        (folder / "tests").mkdir(parents=True)
        data = {
            "name": name,
            "title": f"Automation {index}",
            "summary": "Does one job.",
            "version": "1.0.0",
            "owners": ["@alice"],
            "department": "operations",
            "status": "stable",
            "runtime": "python",
            "entrypoint": "main.py",
            "classification": "internal",
        }
        data["inputs"] = INPUTS if index % 50 else WIDE_INPUTS
        if index % 3 == 0:
            data["schedule"] = CRONS[index % len(CRONS)]
            data["secrets"] = [{"name": f"TOKEN_{index % 25}", "description": "a token"}]
        (folder / "automation.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        (folder / "main.py").write_text("def main():\n    return {}\n")


def move_workflows_away(root: Path) -> None:
    """The next render writes every file, as a first render does, into a new folder.

    The old one is moved aside rather than deleted: deleting 2,000 files just before
    creating as many in the same place measures the file system's clean-up, not autokit.
    """
    workflows = root / ".github"
    if workflows.exists():
        workflows.rename(root.parent / f"old-github-{time.monotonic_ns()}")


def timed(
    args: list[str], env: dict[str, str], repeat: int, before: Callable[[], None] | None = None
) -> list[float]:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--automations", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        build_repository(root, options.automations)
        env = {**os.environ, "AUTOKIT_CACHE_DIR": str(Path(folder) / "cache")}
        autokit = [sys.executable, "-m", "toolkit", "--repo", str(root), "schedule"]
        subprocess.run([*autokit, "render"], env=env, check=True, capture_output=True)
        rows = {
            "python -c pass": timed([sys.executable, "-c", "pass"], env, options.repeat),
            "due (cache cold)": timed(
                [*autokit, "due", "--cron", CRONS[0], "--format", "json"],
                {**env, "AUTOKIT_NO_CACHE": "1"},
                options.repeat,
            ),
            "due (cache warm)": timed(
                [*autokit, "due", "--cron", CRONS[0], "--format", "json"], env, options.repeat
            ),
            "render --check (warm)": timed([*autokit, "render", "--check"], env, options.repeat),
            "render, all written": timed(
                [*autokit, "render"],
                env,
                options.repeat,
                before=lambda: move_workflows_away(root),
            ),
        }
        forms = len(list((root / ".github" / "workflows").glob("run-*.yml")))
        print(f"{forms} Run forms rendered")
    report(options.automations, rows)


def report(count: int, rows: dict[str, list[float]]) -> None:
    print(f"autokit schedule, {count} automations ({len(CRONS)} distinct schedules)")
    print(f"{'command':<24}{'median s':>10}{'min s':>10}")
    results = {}
    for label, times in rows.items():
        median, best = statistics.median(times), min(times)
        print(f"{label:<24}{median:>10.3f}{best:>10.3f}")
        results[label] = {"median_s": round(median, 4), "min_s": round(best, 4), "runs": len(times)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"automations": count, "results": results}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
