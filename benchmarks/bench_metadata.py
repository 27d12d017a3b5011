"""Benchmark: metadata validation, `--help` and `list` on a synthetic 2,000-automation repo.

Measured side by side in one run, each command as a fresh process, median of several
repetitions (the way hyperfine does it):

- `python -c pass`                      bare interpreter start-up, the floor
- `autokit --help`                      goal: within 30 ms of bare Python
- `autokit validate`, cold              no cache: every file parsed and validated
- `autokit validate`, warm              cache of unchanged files; goal: under 0.5 s
- `check-jsonschema`                    the same files against an equivalent JSON Schema;
                                        goal: cold validate at least 5x faster
- `autokit list`, warm                  goal: under 0.5 s

Prints a table and writes JSON to benchmarks/results/bench_metadata.json.
Usage: python benchmarks/bench_metadata.py [--automations N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEPARTMENTS = ["finance", "sales", "operations", "people", "it"]

METADATA = """\
name: {name}
title: "Automation number {index}"
summary: "Reads the {department} export and updates the shared sheet, run {index}."
version: 1.{minor}.0
owners:
  - "@shop/{department}"
  - "@user{index}"
department: {department}
tags: [{department}, sheets, email]
status: stable
runtime: python
entrypoint: main.py
requirements:
  - openpyxl==3.1.5
  - requests==2.32.3
inputs:
  month:
    type: date
    description: First day of the month to process
    required: true
  recipient:
    type: string
    description: Who receives the report
    default: office@example.com
    pattern: "[^@]+@[^@]+"
  limit:
    type: integer
    description: How many rows at most
    default: 100
    min: 1
    max: 10000
secrets:
  - name: SMTP_PASSWORD
    description: Password of the mail account
schedule: "0 7 * * 1-5"
timeout: 900
classification: internal
time_saved_minutes: 25
examples:
  - title: March
    inputs:
      month: 2026-03-01
      limit: 50
"""

INPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["string", "integer", "number", "boolean", "date", "path", "choice"]},
        "description": {"type": "string", "minLength": 1},
        "required": {"type": "boolean"},
        "default": {},
        "choices": {"type": "array", "minItems": 1},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "pattern": {"type": "string", "format": "regex"},
    },
}

# The metadata contract as JSON Schema, as close to the cerberus schema as JSON Schema
# can say it (it cannot check defaults against their input's type, nor cron fields).
JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "name",
        "title",
        "summary",
        "version",
        "owners",
        "department",
        "status",
        "runtime",
        "entrypoint",
        "classification",
    ],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,62}$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "summary": {"type": "string", "minLength": 1, "maxLength": 160, "pattern": "^[^\n]*$"},
        "version": {"type": "string", "pattern": r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"},
        "owners": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "string",
                "pattern": r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?$",
            },
        },
        "department": {"type": "string", "minLength": 1},
        "tags": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
        },
        "status": {"enum": ["draft", "experimental", "stable", "deprecated"]},
        "deprecation": {
            "type": "object",
            "required": ["reason"],
            "properties": {
                "reason": {"type": "string", "minLength": 1},
                "replaced_by": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,62}$"},
            },
        },
        "runtime": {"enum": ["python", "shell"]},
        "entrypoint": {"type": "string", "minLength": 1, "pattern": r"^(?!/)(?!.*\.\.)"},
        "requirements": {
            "type": "array",
            "items": {
                "type": "string",
                "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$",
            },
        },
        "inputs": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,62}$"},
            "additionalProperties": INPUT_SCHEMA,
        },
        "secrets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "description"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,62}$"},
                    "description": {"type": "string", "minLength": 1},
                },
            },
        },
        "schedule": {"type": ["string", "null"], "pattern": r"^\S+( \S+){4}$"},
        "timeout": {"type": "integer", "minimum": 1, "maximum": 86400},
        "classification": {"enum": ["public", "internal", "confidential", "restricted"]},
        "time_saved_minutes": {"type": "number", "minimum": 0},
        "examples": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title"],
                "properties": {"title": {"type": "string"}, "inputs": {"type": "object"}},
            },
        },
    },
}


def build_repository(root: Path, count: int) -> list[Path]:
    """`count` valid automations with ~43-line metadata; returns the metadata files."""
    files = []
    for index in range(count):
        name = f"automation-{index:05d}"
        folder = root / "automations" / name
        folder.mkdir(parents=True)
        department = DEPARTMENTS[index % len(DEPARTMENTS)]
        text = METADATA.format(name=name, index=index, department=department, minor=index % 7)
        (folder / "automation.yaml").write_text(text, encoding="utf-8")
        (folder / "main.py").write_text("def main(**inputs):\n    return inputs\n")
        (folder / "README.md").write_text(f"# Automation {index}\n\nWhat it does.\n")
        files.append(folder / "automation.yaml")
    return files


def autokit(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", *args]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], runs: int, env: dict[str, str], before=None) -> dict:
    """Median wall and CPU time of `runs` runs (after one warm-up run); exit code must be 0.

    CPU time (user + system, including worker processes) is reported beside wall time
    because it barely moves when other work shares the machine.
    """
    times, cpu_times = [], []
    for attempt in range(runs + 1):
        if before is not None:
            before()
        cpu_start = _children_cpu()
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        cpu = _children_cpu() - cpu_start
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(command[:4])}... failed ({result.returncode}):\n"
                f"{result.stdout.decode()[-2000:]}{result.stderr.decode()[-2000:]}"
            )
        if attempt:  # the first run warms the OS file cache
            times.append(elapsed)
            cpu_times.append(cpu)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "cpu_median_s": statistics.median(cpu_times),
        "runs": runs,
    }


def run_benchmarks(workdir: Path, count: int, runs: int) -> dict[str, dict]:
    repo = workdir / "repo"
    files = build_repository(repo, count)
    schema = workdir / "schema.json"
    schema.write_text(json.dumps(JSON_SCHEMA), encoding="utf-8")
    cache = workdir / "cache"
    env = {**os.environ, "AUTOKIT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("AUTOKIT_NO_CACHE", None)
    os.chdir(repo)
    check_jsonschema = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    results = {
        "python -c pass": measure([sys.executable, "-c", "pass"], runs * 2, env),
        "autokit --help": measure(autokit("--help"), runs * 2, env),
        "autokit validate (cold)": measure(
            autokit("validate"), runs, env, before=lambda: shutil.rmtree(cache, ignore_errors=True)
        ),
        "autokit validate (warm)": measure(autokit("validate"), runs, env),
        "autokit list (warm)": measure(autokit("list"), runs, env),
        "check-jsonschema": measure(
            [check_jsonschema or "check-jsonschema", "--schemafile", str(schema), *map(str, files)],
            runs,
            env,
        ),
    }
    return results


def verdicts(results: dict[str, dict]) -> dict[str, dict]:
    bare = results["python -c pass"]["median_s"]
    cold = results["autokit validate (cold)"]
    speedup = results["check-jsonschema"]["median_s"] / cold["median_s"]
    cpu_speedup = results["check-jsonschema"]["cpu_median_s"] / cold["cpu_median_s"]
    return {
        "validate (cold) vs check-jsonschema >= 5x": {
            "value": f"{speedup:.1f}x",
            "ok": speedup >= 5,
        },
        "same, in CPU time (informative)": {"value": f"{cpu_speedup:.1f}x", "ok": cpu_speedup >= 5},
        "validate (warm) < 0.5 s": {
            "value": f"{results['autokit validate (warm)']['median_s']:.3f} s",
            "ok": results["autokit validate (warm)"]["median_s"] < 0.5,
        },
        "--help within 30 ms of bare python": {
            "value": f"+{(results['autokit --help']['median_s'] - bare) * 1000:.0f} ms",
            "ok": results["autokit --help"]["median_s"] - bare < 0.030,
        },
        "list (warm) < 0.5 s": {
            "value": f"{results['autokit list (warm)']['median_s']:.3f} s",
            "ok": results["autokit list (warm)"]["median_s"] < 0.5,
        },
    }


def print_table(results: dict[str, dict], goals: dict[str, dict], count: int) -> None:
    print(f"\nmetadata benchmark: {count} automations, {os.cpu_count()} CPU(s)\n")
    print(f"{'command':<28} {'median':>10} {'min':>10} {'CPU median':>12}")
    for name, row in results.items():
        print(
            f"{name:<28} {row['median_s'] * 1000:>7.0f} ms {row['min_s'] * 1000:>7.0f} ms"
            f" {row['cpu_median_s'] * 1000:>9.0f} ms"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average when done: {load:.1f})")
    print()
    for goal, verdict in goals.items():
        print(f"{'ok  ' if verdict['ok'] else 'MISS'} {goal}: {verdict['value']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--automations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    start_dir = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="autokit-bench-") as workdir:
        results = run_benchmarks(Path(workdir), options.automations, options.runs)
        os.chdir(start_dir)
    goals = verdicts(results)
    print_table(results, goals, options.automations)
    RESULTS.mkdir(exist_ok=True)
    report = {
        "benchmark": "metadata",
        "automations": options.automations,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "results": results,
        "goals": goals,
    }
    out = RESULTS / "bench_metadata.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
