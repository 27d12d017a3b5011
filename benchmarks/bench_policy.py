"""Benchmark `autokit policy --base` and `autokit changed` on large synthetic repositories.

Builds, with one `git fast-import` stream each, a repository of N automations and 5,000
commits (the first adds every folder, the others each edit one automation), then a
pull request branch that changes three automations correctly. Times the two commands as
the CI would run them (fresh processes, median of several runs) at 200 and 2,000
automations: only what changed is read, so the times should be flat in N.

A third repository of the largest size holds a copy of this project's `toolkit/` on
`main` (with one byte changed, so the code running differs from it): there policy judges
by the base's rules, materialized once and then verified on each run, in a second Python
process. Goal: at most 0.3 s more than the plain run.

A fourth holds 50 libraries, each used by 40 of the 2,000 automations, and its pull
request changes one library too: `autokit changed` then also lists the automations using
it. Goal: within 20% of the run without libraries.

Run: `python benchmarks/bench_policy.py` (or `nox -s bench -- bench_policy`).
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

COMMITS = 5_000
SIZES = (200, 2_000)
RUNS = 9
GOAL_SECONDS = 1.5
RULES_GOAL_SECONDS = 0.3
LIBRARIES = 50
LIBRARIES_GOAL_RATIO = 1.2
PROJECT = Path(__file__).resolve().parent.parent
PYPROJECT = '[tool.autokit]\nsecurity_reviewers = ["@shop/security"]\n'
GOVERNED = (
    "/.github/", "/.ci/", "/toolkit/", "/tests/", "/templates/", "/docs/", "/pyproject.toml",
    "/mkdocs.yml", "/noxfile.py", "/.pre-commit-config.yaml",
)  # fmt: skip
RESULTS = Path(__file__).parent / "results" / "bench_policy.json"


def metadata(name: str, version: str, library: str | None = None) -> str:
    return (
        f"name: {name}\ntitle: {name.title()}\nsummary: Does the {name} job.\n"
        f"version: \"{version}\"\nowners: ['@alice', '@shop/ops']\ndepartment: operations\n"
        "tags: [example]\nstatus: stable\nruntime: python\nentrypoint: main.py\n"
        "classification: internal\ntime_saved_minutes: 5\n"
        + (f"libraries: [{library}]\n" if library else "")
        + "inputs:\n  greeting: {type: string, description: Who to greet, default: world}\n"
        "examples:\n  - {title: Greet, inputs: {greeting: world}}\n"
    )


def folder_files(
    name: str, version: str = "1.0.0", note: str = "", library: str | None = None
) -> dict[str, str]:
    prefix = f"automations/{name}/"
    return {
        prefix + "automation.yaml": metadata(name, version, library),
        prefix + "README.md": f"# {name}\n\nWhat {name} does.{note}\n",
        prefix + "CHANGELOG.md": f"# Changelog\n\n## {version}\n\n- Changes.\n",
        prefix + "main.py": f"def main(greeting='world'):\n    return {{'{name}': greeting}}\n",
        prefix + "tests/test_main.py": "from main import main\n\n\ndef test_main():\n"
        "    assert main()\n",
    }


def library_files(name: str, version: str = "1.0.0", note: str = "") -> dict[str, str]:
    prefix = f"libraries/{name}/"
    module = name.replace("-", "_")
    return {
        prefix + "library.yaml": (
            f"name: {name}\ntitle: {name.title()}\nsummary: Shared {name} code.\n"
            f"version: \"{version}\"\nowners: ['@shop/ops']\n"
        ),
        prefix + "README.md": f"# {name}\n\nShared code.{note}\n",
        prefix + "CHANGELOG.md": f"# Changelog\n\n## {version}\n\n- Changes.\n",
        prefix + f"{module}/__init__.py": (
            f'"""Shared code."""\n\n__all__ = ["greet"]\n\n\ndef greet(who):\n'
            f'    """Greets."""\n    return f"hello {{who}}{note}"\n'
        ),
    }


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def _commit(
    ref: str, number: int, message: str, files: dict[str, str], parent: str | None
) -> bytes:
    out = [
        f"commit {ref}\nmark :{number}\n".encode(),
        f"committer Bench <bench@example.com> {1_700_000_000 + number} +0000\n".encode(),
        _data(message),
    ]
    if parent:
        out.append(f"from {parent}\n".encode())
    for path, content in files.items():
        out.append(f"M 100644 inline {path}\n".encode() + _data(content))
    return b"".join(out)


def toolkit_files() -> dict[str, str]:
    """This project's toolkit/, with a byte changed so it differs from the code running."""
    files = {
        path.relative_to(PROJECT).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((PROJECT / "toolkit").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    files["toolkit/__init__.py"] += "# as on the base branch\n"
    return files


def build(root: Path, size: int, with_toolkit: bool = False, libraries: int = 0) -> None:
    """The repository; with `libraries`, that many libraries, each used (unpinned) by
    every `libraries`-th automation, and the pull request also changes the first one."""
    names = [f"automation-{i:04d}" for i in range(size)]
    shared = [f"library-{i:02d}" for i in range(libraries)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    first: dict[str, str] = {"pyproject.toml": PYPROJECT}
    if with_toolkit:
        first.update(toolkit_files())
    for number, name in enumerate(names):
        first.update(folder_files(name, library=shared[number % libraries] if shared else None))
    for library in shared:
        first.update(library_files(library))
    first[".github/CODEOWNERS"] = "".join(
        [f"{path} @shop/security\n" for path in GOVERNED]
        + [f"/automations/{n}/ @alice @shop/ops\n" for n in names]
    )
    stream = [_commit("refs/heads/main", 1, "initial", first, None)]
    for number in range(2, COMMITS + 1):
        name = names[number % size]
        path = f"automations/{name}/README.md"
        stream.append(
            _commit(
                "refs/heads/main",
                number,
                f"edit {name}",
                {path: f"# {name}\n\nRevision {number}.\n"},
                f":{number - 1}",
            )
        )
    pr: dict[str, str] = {}
    for number, name in enumerate(names[:3]):
        library = shared[number % libraries] if shared else None
        pr.update(folder_files(name, "1.1.0", note=" Now better.", library=library))
    if shared:
        pr.update(library_files(shared[-1], "1.1.0", note="!"))
    stream.append(_commit("refs/heads/pr", COMMITS + 1, "pull request", pr, f":{COMMITS}"))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "pr"], cwd=root, check=True)


def run_once(root: Path, *args: str) -> tuple[float, str]:
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), *args]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


COMMANDS = {
    "policy": ("policy", "--base", "main", "--format", "json"),
    "changed": ("changed", "--base", "main", "--format", "json"),
}


def measure(roots: dict[int | str, Path]) -> dict[tuple[int | str, str], list[float]]:
    """Interleave sizes and commands, so a busy machine slows them all alike."""
    samples: dict[tuple[int | str, str], list[float]] = {}
    run_once(roots["rules"], *COMMANDS["policy"])  # materializes the base's rules once
    for _ in range(RUNS):
        for size, root in roots.items():
            for label, args in COMMANDS.items():
                if (size == "rules" and label != "policy") or (
                    size == "libraries" and label != "changed"
                ):
                    continue
                elapsed, out = run_once(root, *args)
                samples.setdefault((size, label), []).append(elapsed)
                if label == "changed":
                    report = json.loads(out)
                    users = report.get("uses_changed_libraries", {})
                    wanted = [f"automation-{i:04d}" for i in range(3)]
                    assert sorted(set(report["automations"]) - set(users)) == wanted
                    if size == "libraries":
                        assert len(users) == SIZES[-1] // LIBRARIES, len(users)
    return samples


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="autokit-bench-") as tmp:
        os.environ["AUTOKIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        roots: dict[int | str, Path] = {}
        built = {}
        for size in SIZES:
            roots[size] = Path(tmp) / f"repo-{size}"
            started = time.perf_counter()
            build(roots[size], size)
            built[size] = time.perf_counter() - started
        roots["rules"] = Path(tmp) / "repo-rules"
        build(roots["rules"], SIZES[-1], with_toolkit=True)
        roots["libraries"] = Path(tmp) / "repo-libraries"
        build(roots["libraries"], SIZES[-1], libraries=LIBRARIES)
        samples = measure(roots)
        rules = samples[("rules", "policy")]
        with_libraries = samples[("libraries", "changed")]
    for size in SIZES:
        row: dict[str, float] = {
            "automations": size,
            "commits": COMMITS + 1,
            "build_s": built[size],
        }
        for label in COMMANDS:
            row[f"{label}_min_s"] = min(samples[(size, label)])
            row[f"{label}_median_s"] = statistics.median(samples[(size, label)])
        rows.append(row)
    _print(rows)
    extra = statistics.median(rules) - rows[-1]["policy_median_s"]
    print(
        f"policy judged by the base's rules at {SIZES[-1]} automations: "
        f"{min(rules):.3f}s/{statistics.median(rules):.3f}s min/median, {extra:+.3f}s over "
        f"the plain run (goal <= {RULES_GOAL_SECONDS}s: "
        f"{'met' if extra <= RULES_GOAL_SECONDS else 'MISSED'})"
    )
    ratio = statistics.median(with_libraries) / rows[-1]["changed_median_s"]
    print(
        f"changed with {LIBRARIES} libraries at {SIZES[-1]} automations: "
        f"{min(with_libraries):.3f}s/{statistics.median(with_libraries):.3f}s min/median, "
        f"{ratio:.2f}x the run without libraries (goal <= {LIBRARIES_GOAL_RATIO}x: "
        f"{'met' if ratio <= LIBRARIES_GOAL_RATIO else 'MISSED'})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "benchmark": "policy",
        "runs": RUNS,
        "rows": rows,
        "base_rules": {
            "automations": SIZES[-1],
            "min_s": min(rules),
            "median_s": statistics.median(rules),
            "over_plain_median_s": extra,
        },
        "libraries": {
            "automations": SIZES[-1],
            "libraries": LIBRARIES,
            "changed_min_s": min(with_libraries),
            "changed_median_s": statistics.median(with_libraries),
            "ratio_to_plain": ratio,
        },
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def _print(rows: list[dict[str, float]]) -> None:
    print(
        f"{'automations':>11}  {'commits':>7}  {'build':>7}  {'policy min/median':>18}  "
        f"{'changed min/median':>18}"
    )
    for row in rows:
        print(
            f"{row['automations']:>11}  {row['commits']:>7}  {row['build_s']:>6.2f}s  "
            f"{row['policy_min_s']:>8.3f}s/{row['policy_median_s']:.3f}s  "
            f"{row['changed_min_s']:>8.3f}s/{row['changed_median_s']:.3f}s"
        )
    small, large = rows[0], rows[-1]
    for label in COMMANDS:
        key = f"{label}_min_s"
        ratio = large[key] / small[key]
        verdict = "flat" if ratio <= 1.2 else "NOT flat"
        print(
            f"{label}: {ratio:.2f}x from {small['automations']} to {large['automations']} "
            f"automations ({verdict}, best of {RUNS}); goal < {GOAL_SECONDS}s: "
            f"{'met' if large[key] < GOAL_SECONDS else 'MISSED'}"
        )


if __name__ == "__main__":
    sys.exit(main())
