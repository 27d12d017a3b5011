"""Benchmark: YAML bombs against every command, and what the bounds cost ordinary files.

A repository whose `main` holds one good automation, and whose branch `pr` adds three
bombed ones: the billion-laughs alias bomb (nine lines of aliases, under 800 bytes) in
the `choices` and `default` of a choice input, a default nested 10,000 levels deep, and
a 50 MB automation.yaml. Each command runs as a fresh process, several times; the table
shows the median wall time and the peak memory (RSS) of the slowest run. Goals: each
under 1 s and 200 MB, with exit 1 (list, search and catalog build leave invalid
automations out and name them, exit 0).

It also times the reader on the 43-line metadata of bench_metadata.py, with and without
the bounds, to show what measuring costs a file that is fine.

Prints a table and writes JSON to benchmarks/results/bench_yaml_bombs.json.
Usage: python benchmarks/bench_yaml_bombs.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_metadata import METADATA

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

# Runs one command and reports its time and peak memory: the wrapper's only child is it.
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"code": done.returncode, "seconds": time.perf_counter() - started,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def alias_bomb() -> str:
    lines = ["      - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"      - &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join(lines)


def metadata(name: str) -> str:
    return METADATA.format(name=name, index=1, department="finance", minor=0)


def bombed(name: str) -> str:
    text = metadata(name)
    if name == "alias-bomb":
        block = "  mode:\n    type: choice\n    description: Mode\n    choices:\n"
        return text.replace("inputs:\n", f"inputs:\n{block}{alias_bomb()}\n    default: *i\n")
    if name == "deep-bomb":
        deep = "[" * 10_000 + "]" * 10_000
        return text.replace("default: office@example.com", f"default: {deep}")
    line = "# " + "x" * 97 + "\n"
    return text + line * (50 * 1024 * 1024 // len(line))


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build_repository(root: Path) -> None:
    def automation(name: str, text: str) -> None:
        folder = root / "automations" / name
        (folder / "tests").mkdir(parents=True)
        (folder / "automation.yaml").write_text(text, encoding="utf-8")
        (folder / "main.py").write_text("def main(**inputs):\n    return inputs\n")
        (folder / "README.md").write_text(f"# {name}\n\nWhat it does.\n")
        (folder / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n\n- First version.\n")
        (folder / "tests" / "test_main.py").write_text("def test_nothing():\n    pass\n")

    automation("good", metadata("good"))
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(PROJECT / "docs", root / "docs")
    (root / "pyproject.toml").write_text('[tool.autokit]\nrepository_url = "https://x.test/r"\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    git(root, "checkout", "-q", "-b", "pr")
    for name in ("alias-bomb", "deep-bomb", "huge-file"):
        automation(name, bombed(name))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bombs")


COMMANDS = [
    ["validate"],
    ["list"],
    ["search", "reads"],
    *[["show", name, "--format", "json"] for name in ("alias-bomb", "deep-bomb", "huge-file")],
    *[["run", name, "--dry-run"] for name in ("alias-bomb", "deep-bomb", "huge-file")],
    *[["test", name] for name in ("alias-bomb", "deep-bomb", "huge-file")],
    ["policy", "--base", "main"],
    ["schedule", "render", "--check"],
    ["catalog", "build", "--site-dir", "{site}"],
]


def measure_commands(root: Path, site: Path, runs: int, env: dict[str, str]) -> dict[str, dict]:
    results = {}
    for command in COMMANDS:
        args = [part.format(site=site) for part in command]
        rows = []
        for _ in range(runs):
            wrapper = [sys.executable, "-c", MEASURE, sys.executable, "-m", "toolkit", *args]
            done = subprocess.run(wrapper, cwd=root, env=env, capture_output=True, check=True)
            rows.append(json.loads(done.stdout))
        label = " ".join(command).replace(" --site-dir {site}", "")
        results[label] = {
            "median_s": statistics.median(row["seconds"] for row in rows),
            "max_rss_mb": max(row["max_rss_kb"] for row in rows) / 1024,
            "exit_codes": sorted({row["code"] for row in rows}),
        }
    return results


def measure_reader(repetitions: int = 1000, rounds: int = 15) -> dict[str, float]:
    """Microseconds per parse of ordinary metadata, bounded and not, and per refusal.

    The variants alternate round by round and the best round of each counts, so that
    other work on the machine weighs on all of them alike.
    """
    import yaml

    from toolkit.metadata.yamlfile import YamlProblem, _strict_loader, _within_limits, parse_mapping

    text = metadata("reader")
    loader = _strict_loader()
    node = yaml.compose(text, Loader=loader)
    bombs = {name: bombed(name) for name in ("alias-bomb", "deep-bomb")}

    def refuse(bomb: str) -> None:
        try:
            parse_mapping(bomb)
        except YamlProblem:
            return
        raise SystemExit("a bomb was not refused")

    variants = {
        "ordinary file, bounded (us)": (lambda: parse_mapping(text), repetitions),
        "ordinary file, unbounded yaml.load (us)": (
            lambda: yaml.load(text, Loader=loader),
            repetitions,
        ),
        "measuring its nodes alone (us)": (lambda: _within_limits(node), repetitions),
        "alias bomb refused (us)": (lambda: refuse(bombs["alias-bomb"]), 20),
        "10,000 levels refused (us)": (lambda: refuse(bombs["deep-bomb"]), 20),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for label, (function, runs) in variants.items():
            start = time.perf_counter()
            for _ in range(runs):
                function()
            best[label] = min(best[label], (time.perf_counter() - start) / runs * 1e6)
    unbounded = best["ordinary file, unbounded yaml.load (us)"]
    best["measuring, share of a parse (%)"] = (
        best["measuring its nodes alone (us)"] / unbounded * 100
    )
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autokit-bench-bombs-") as folder:
        work = Path(folder)
        root = work / "repo"
        build_repository(root)
        env = {**os.environ, "AUTOKIT_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        env.update(AUTOKIT_HOME=str(work / "home"), NO_MKDOCS_2_WARNING="1")
        commands = measure_commands(root, work / "site", options.runs, env)
    reader = measure_reader()
    print(f"\nYAML bombs: {options.runs} run(s) of each command, {os.cpu_count()} CPU(s)\n")
    print(f"{'command':<36} {'median':>9} {'peak RSS':>10}  exit")
    for label, row in commands.items():
        ok = row["median_s"] < 1 and row["max_rss_mb"] < 200
        codes = ",".join(map(str, row["exit_codes"]))
        print(
            f"{label:<36} {row['median_s'] * 1000:>6.0f} ms {row['max_rss_mb']:>7.0f} MB"
            f"  {codes:<4} {'ok' if ok else 'OVER'}"
        )
    print()
    for label, value in reader.items():
        print(f"{label:<44} {value:>8.1f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "bench_yaml_bombs.json"
    report = {"machine": platform.platform(), "commands": commands, "reader": reader}
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")
    over = [k for k, r in commands.items() if r["median_s"] >= 1 or r["max_rss_mb"] >= 200]
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
