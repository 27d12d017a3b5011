"""How long the scheduled workflow takes to decide what runs, at 2,000 automations.

`autokit schedule due` is the first thing every scheduled workflow run does, and
`autokit schedule render --check` runs on every pull request. Measured as a user sees them:
a fresh `autokit` process each time, with the metadata cache cold and then warm.

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
        if index % 3 == 0:
            data["schedule"] = CRONS[index % len(CRONS)]
            data["secrets"] = [{"name": f"TOKEN_{index % 25}", "description": "a token"}]
        (folder / "automation.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        (folder / "main.py").write_text("def main():\n    return {}\n")


def timed(args: list[str], env: dict[str, str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
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
        }
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
