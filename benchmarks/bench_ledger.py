"""The run ledger at the size of a busy shop: 200,000 records (50 automations x 10 runs a
day for a year is about 180,000).

Measured on real Git, over a `git daemon` on loopback (git:// on 127.0.0.1):

- reading the ledger and turning it into the catalog's figures (`read_ledger` +
  `summarize`), with one file per record and after `autokit runs compact`;
- the catalog build of 50 automations with that ledger against the same build without
  one (what reading it adds to `autokit catalog build`);
- `autokit report` over it, as a user runs it (a fresh process), before and after
  compaction;
- one record pushed to the bare repository on loopback by a clone that has the ledger;
- twenty processes in four clones pushing at once, all landing.

The issue's goals: reading adds at most 2 s to the catalog build, the report at most
1.5 s, one push at most 1 s, twenty concurrent pushers within 30 s.

    python benchmarks/bench_ledger.py [--records 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import ledger_record  # noqa: E402

from toolkit import git  # noqa: E402
from toolkit.ledger.branch import append, compact, read_ledger, record_path  # noqa: E402
from toolkit.ledger.settings import LedgerSettings  # noqa: E402
from toolkit.ledger.summary import summarize  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "ledger.json"
AUTOMATIONS = 50
GOALS = {"catalog_added_s": 2.0, "report_s": 1.5, "one_push_s": 1.0, "twenty_pushers_s": 30.0}
SETTINGS = LedgerSettings()


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_shop(root: Path) -> None:
    """A repository of AUTOMATIONS automations, committed."""
    for index in range(AUTOMATIONS):
        name = f"automation-{index:02d}"
        folder = root / "automations" / name
        folder.mkdir(parents=True)
        data = {
            "name": name,
            "title": f"Automation {index}",
            "summary": "Does one job.",
            "version": "1.0.0",
            "owners": ["@alice"],
            "department": ["finance", "sales", "operations"][index % 3],
            "status": "stable",
            "runtime": "python",
            "entrypoint": "main.py",
            "classification": "internal",
            "time_saved_minutes": 10,
        }
        (folder / "automation.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        (folder / "main.py").write_text("def main():\n    return {}\n")
        (folder / "README.md").write_text(f"# Automation {index}\n\nDoes one job.\n")
        (folder / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n\n- First.\n")
    (root / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    (root / "docs").mkdir()
    for page in ("index.md", "contributing.md", "administrators.md"):
        (root / "docs" / page).write_text((ROOT / "docs" / page).read_text())
    if (ROOT / "docs" / "learn").is_dir():
        run("cp", "-R", str(ROOT / "docs" / "learn"), str(root / "docs" / "learn"))
    run("cp", "-R", str(ROOT / "docs" / "assets"), str(root / "docs" / "assets"))
    (root / "pyproject.toml").write_text(
        '[tool.autokit]\nrepository_url = "https://github.com/s/x"\n'
    )
    run("git", "init", "-q", "-b", "main", cwd=root)
    run("git", "add", "-A", cwd=root)
    run("git", "commit", "-q", "-m", "shop", cwd=root)


def many_records(count: int) -> list:
    """`count` records over the last year, of 50 automations, mixed kinds and outcomes."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    step = dt.timedelta(days=365) / count
    records = []
    for n in range(count):
        started = now - step * n
        status = "failed" if n % 17 == 0 else "success"
        kind = "example" if n % 23 == 0 else "real"
        records.append(
            ledger_record(
                n,
                started=started,
                automation=f"automation-{n % AUTOMATIONS:02d}",
                status=status,
                kind=kind,
                counts=status == "success" and kind == "real",
                minutes_saved=10.0 if status == "success" and kind == "real" else 0.0,
                who=f"Person {n % 40}",
            )
        )
    return records


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_daemon(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
            f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}", str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return daemon, f"git://127.0.0.1:{port}/origin.git"
        time.sleep(0.05)
    raise SystemExit("git daemon did not start")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def best_of(times: int, action) -> float:
    return min(timed(action) for _ in range(times))


def catalog_build(root: Path) -> float:
    site = root.parent / f"site-{os.urandom(3).hex()}"
    env = {**os.environ, "AUTOKIT_NO_CACHE": "1"}
    started = time.perf_counter()
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), "catalog", "build"]
    run(*command, "--site-dir", str(site), env=env)
    return time.perf_counter() - started


PUSHER = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r}); sys.path.insert(0, {root!r})
from helpers import ledger_record
from toolkit.ledger.branch import append
from toolkit.ledger.settings import LedgerSettings
first = int(sys.argv[2])
append(Path(sys.argv[1]), LedgerSettings(), "origin", [ledger_record(first + 10_000_000)])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        os.environ["AUTOKIT_HOME"] = str(base / "home")
        shop = base / "shop"
        build_shop(shop)
        run("git", "init", "-q", "--bare", str(base / "origin.git"))
        daemon, url = start_daemon(base)
        try:
            run("git", "remote", "add", "origin", url, cwd=shop)
            run("git", "push", "-q", "origin", "main", cwd=shop)
            without = min(catalog_build(shop) for _ in range(2))
            records = many_records(args.records)
            started = time.perf_counter()
            tip = git.commit_files(
                shop,
                None,
                "ledger",
                {record_path(r): r.to_json().encode() + b"\n" for r in records},
            )
            run("git", "push", "-q", "origin", f"{tip}:refs/heads/autokit/runs", cwd=shop)
            run("git", "fetch", "-q", "origin", cwd=shop)
            took = time.perf_counter() - started
            print(f"built a ledger of {args.records:,} records in {took:.1f} s")
            names = [f"automation-{n:02d}" for n in range(AUTOMATIONS)]

            def read_and_sum() -> None:
                ledger = read_ledger(shop, SETTINGS)
                assert len(ledger.records) == args.records, len(ledger.records)
                summarize(ledger.records, names)

            results["read_and_summarize_s"] = best_of(3, read_and_sum)
            results["catalog_added_s"] = min(catalog_build(shop) for _ in range(2)) - without
            results["catalog_without_ledger_s"] = without
            report = [sys.executable, "-m", "toolkit", "--repo", str(shop), "report"]
            results["report_s"] = best_of(3, lambda: run(*report, "--days", "365"))
            results["one_push_s"] = best_of(
                5,
                lambda: append(
                    shop,
                    SETTINGS,
                    "origin",
                    [ledger_record(os.getpid() + int(time.time_ns() % 1e9))],
                ),
            )
            clones = []
            for n in range(4):
                clone = base / f"clone-{n}"
                run("git", "clone", "-q", url, str(clone))
                clones.append(clone)
            script = PUSHER.format(tests=str(ROOT / "tests"), root=str(ROOT))
            started = time.perf_counter()
            pushers = [
                subprocess.Popen([sys.executable, "-c", script, str(clones[n % 4]), str(n)])
                for n in range(20)
            ]
            assert all(p.wait(timeout=120) == 0 for p in pushers)
            results["twenty_pushers_s"] = time.perf_counter() - started
            run("git", "fetch", "-q", "origin", cwd=shop)
            landed = [
                r
                for r in read_ledger(shop, SETTINGS).records
                if r.id.endswith(tuple(f"{n + 10_000_000:06x}" for n in range(20)))
            ]
            assert len(landed) == 20, len(landed)
            before = f"{dt.datetime.now(dt.UTC):%Y-%m}"
            results["compact_s"] = timed(lambda: compact(shop, SETTINGS, "origin", before))
            results["read_and_summarize_compacted_s"] = best_of(
                3, lambda: summarize(read_ledger(shop, SETTINGS).records, names)
            )
            results["report_compacted_s"] = best_of(3, lambda: run(*report, "--days", "365"))
            results["catalog_added_compacted_s"] = (
                min(catalog_build(shop) for _ in range(2)) - without
            )
        finally:
            daemon.terminate()
            daemon.wait()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    for key, value in results.items():
        goal = GOALS.get(key) or GOALS.get(key.replace("_compacted", ""))
        met = "met" if goal is not None and value <= goal else "NOT MET"
        verdict = "" if goal is None else f" (goal {goal:.1f} s: {met})"
        print(f"{key:34} {value:7.2f} s{verdict}")


if __name__ == "__main__":
    main()
