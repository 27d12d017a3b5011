"""Catalog build at 300, 1,000 and 3,000 synthetic automations with synthetic Git history.

The history has 500 contributors by default (`--people`): each automation's first version
is one person's, its second another's (from a second address that `.mailmap` joins to the
first, and a change to a colleague's automation), and a run ledger on the clone's origin
holds `--runs` counted runs per automation, some this month, so the Contributors page has
every figure, badge and both tables to compute for all of them.

Both sides also build the Ideas page of 2,000 synthetic ideas (`--ideas N`; 0 leaves the
page without data), one idea in ten built by an automation of the repository, some with
numbers that make no sense; the row reports the time to rank and render that page alone.

For each size: `autokit catalog build` (metadata, one `git log`, page generation, mkdocs),
beside plain mkdocs-material building the same generated pages with a small navigation,
and (at 300 and 1,000) the naive build with every page in the navigation. Then, in
chromium at the largest size, the time from typing into the search box to the first
result. Plain, cold and warm builds run in interleaved rounds (median of 3 by default), so
both sides see the same machine load; the naive build runs once (at 3,000 it would take
~9 minutes, so it is left out).

    python benchmarks/bench_catalog.py [--sizes 300,1000,3000] [--rounds 3] [--ideas 2000]
        [--no-browser] [--people 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "benchmarks" / "results"
NAIVE_SIZES = {300, 1000}
DEPARTMENTS = ["finance", "sales", "operations", "hr", "support", "it", "marketing", "legal"]
TAGS = [
    "email",
    "excel",
    "pdf",
    "crm",
    "invoices",
    "reports",
    "slack",
    "inventory",
    "orders",
    "payroll",
    "backup",
    "sync",
    "cleanup",
    "alerts",
    "onboarding",
]
WORDS = [
    "customer",
    "order",
    "invoice",
    "report",
    "sheet",
    "inventory",
    "reminder",
    "payment",
    "supplier",
    "shipment",
    "ticket",
    "contract",
    "payroll",
    "refund",
    "quote",
    "catalog",
    "stock",
    "delivery",
    "account",
    "ledger",
]
PEOPLE = 500  # contributors, by default (--people)
RUNS = 3  # counted runs per automation in the ledger, by default (--runs)
# One automation in IMAGE_EVERY shows a screenshot from its folder (most show none).
IMAGE_EVERY = 20
SCREENSHOT = "docs/screenshot.png"


IDEA_BUILT_EVERY = 10  # idea 10, 20, ... is built by an automation (`idea: N`)


def _idea_number(i: int) -> int | None:
    """The idea automation `i` was built from: automation 0 built idea 10, and so on."""
    return (i + 1) * IDEA_BUILT_EVERY if i % 7 == 0 else None


def write_ideas(path: Path, count: int) -> None:
    """An ideas file of `count` ideas as `autokit ideas fetch` writes it: titles and
    excerpts of the usual length, every state, one in 25 with unclear numbers."""
    ideas = []
    for n in range(1, count + 1):
        word = WORDS[n % len(WORDS)]
        unclear = n % 25 == 0
        per_month, minutes, people = [21.0, 4.33, 1.0][n % 3], 5 + n % 90, 1 + n % 6
        ideas.append(
            {
                "number": n,
                "title": f"Idea: automate the {word} work of team {n % 40}",
                "excerpt": f"1. Open the {word} mails every morning 2. Copy each {word} "
                "into the shared sheet 3. Tell the customer it is on its way",
                "author": f"user{n % 60}",
                "state": ["new", "claimed", "new", "closed"][n % 4],
                "thumbs_up": n % 17,
                "frequency_per_month": per_month,
                "minutes": float(minutes),
                "people": None if unclear else people,
                "hours_per_month": None if unclear else round(per_month * minutes * people / 60, 2),
                "unclear": ["People who do it: '5000' is over 1,000"] if unclear else [],
                "numbers_unclear": unclear,
                "url": f"https://github.com/example-shop/autokit/issues/{n}",
                "automation": None,
                "department": DEPARTMENTS[n % len(DEPARTMENTS)],
                "pull_request": None,
                "assignees": [f"user{n % 60}"] if n % 4 == 1 else [],
                "created": "2026-11-01T09:00:00Z",
            }
        )
    data = {"schema": 1, "fetched": "2026-12-01T06:00:00Z", "repository": "example-shop/autokit"}
    path.write_text(json.dumps({**data, "skipped": 0, "ideas": ideas}, indent=1))


def _automation(i: int, version: str) -> dict[str, Any]:
    word = WORDS[i % len(WORDS)]
    return {
        "name": f"auto-{i:05d}",
        "title": f"{word.title()} automation {i}",
        "summary": f"Handles the {word} work of team {i % 40}: fetches, checks and files it "
        f"(keyword k{i:05d}).",
        "version": version,
        "owners": [f"@user{i % 60}", f"@shop/team{i % 12}"],
        "department": DEPARTMENTS[i % len(DEPARTMENTS)],
        "tags": sorted({TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]}),
        "status": ["stable", "experimental", "draft", "stable"][i % 4],
        "runtime": "python",
        "entrypoint": "main.py",
        "classification": "internal",
        "schedule": f"{i % 60} {i % 24} * * 1-5" if i % 3 else None,
        "time_saved_minutes": 5 + i % 55,
        "inputs": {
            "days": {"type": "integer", "description": "How many days back", "default": 7},
            "target": {"type": "string", "description": "Where results go", "required": True},
        },
        "secrets": [{"name": "API_TOKEN", "description": "Token of the service"}],
        "requirements": ["requests==2.32.3"],
        "examples": [{"title": "Last week", "inputs": {"days": 7, "target": "inbox"}}],
        **({"idea": number} if (number := _idea_number(i)) is not None else {}),
    }


def _readme(i: int) -> str:
    word = WORDS[i % len(WORDS)]
    return (
        f"# {word.title()} automation {i}\n\nEvery morning this automation collects the "
        f"{word} records of the previous day, checks them against the shared sheet and "
        "files what is missing.\n\n## Usage\n\nRun it with the command on this page. "
        "It needs the API token in the environment.\n\n## Notes\n\n"
        "- Safe to run twice.\n- Writes a short report to the output folder.\n"
        + (f"\n![What it files]({SCREENSHOT})\n" if i % IMAGE_EVERY == 0 else "")
    )


def _files(i: int, version: str, changes: list[str]) -> dict[str, str | bytes]:
    data = {k: v for k, v in _automation(i, version).items() if v is not None}
    changelog = "# Changelog\n\n" + "".join(f"## {v}\n\n- {c}\n\n" for v, c in changes)
    files: dict[str, str | bytes] = {
        "automation.yaml": yaml.safe_dump(data, sort_keys=False),
        "README.md": _readme(i),
        "CHANGELOG.md": changelog,
        "main.py": "def main(**inputs):\n    return inputs\n",
    }
    if i % IMAGE_EVERY == 0:
        files[SCREENSHOT] = _png(i)
    return files


def _png(i: int) -> bytes:
    """A small PNG (its pixels differ per automation, so no two are the same file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    rows = b"".join(b"\x00" + bytes([i % 256, i // 256 % 256, 90]) * 64 for _ in range(48))
    header = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _blob(content: str | bytes) -> bytes:
    raw = content.encode() if isinstance(content, str) else content
    return b"data %d\n%s\n" % (len(raw), raw)


def _address(person: int, home: bool = False) -> str:
    return f"person{person}@{'home.example' if home else 'example.com'}"


def _mailmap(people: int) -> str:
    """Every person's home address joined to their work one."""
    return "".join(
        f"Person {p} <{_address(p)}> <{_address(p, home=True)}>\n" for p in range(people)
    )


def make_repository(root: Path, count: int, people: int = PEOPLE) -> None:
    """A repository with two commits and two tags per automation, via `git fast-import`.

    Version 1.0.0 of automation i is person i's (mod `people`), 1.1.0 is the person half
    the list away's, from their home address, so 300 automations already have 500
    contributors."""
    root.mkdir(parents=True)
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(PROJECT / "docs", root / "docs")
    (root / "pyproject.toml").write_text(
        '[tool.autokit]\nrepository_url = "https://github.com/example-shop/autokit"\n'
    )
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    stream: list[bytes] = []
    mark, when, previous = 0, 1_700_000_000, None
    for step in ("1.0.0", "1.1.0"):
        for i in range(count):
            mark += 1
            when += 60
            second = step == "1.1.0"
            person = (i + second * (people // 2)) % people
            changes = [("1.0.0", "First version.")]
            if second:
                changes.insert(0, ("1.1.0", "Handles empty days."))
            stream.append(b"commit refs/heads/main\nmark :%d\n" % mark)
            who = f"Person {person} <{_address(person, home=second)}> {when} +0000\n"
            stream.append(b"author " + who.encode() + b"committer " + who.encode())
            stream.append(_blob(f"auto-{i:05d} {step}"))
            if previous:
                stream.append(b"from :%d\n" % previous)
            else:
                stream.append(b"M 644 inline .mailmap\n" + _blob(_mailmap(people)))
            for name, text in _files(i, step, changes).items():
                stream.append(f"M 644 inline automations/auto-{i:05d}/{name}\n".encode())
                stream.append(_blob(text))
            stream.append(b"\n")
            stream.append(f"reset refs/tags/auto-{i:05d}@{step}\nfrom :{mark}\n\n".encode())
            previous = mark
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=root,
        input=b"".join(stream),
        check=True,
        env=_env(root.parent),
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)


def publish_runs(root: Path, count: int, runs: int) -> None:
    """`runs` counted runs per automation on the ledger branch of a bare origin beside
    `root`, as `autokit runs push` leaves them: the newest this month, the rest before."""
    sys.path.insert(0, str(PROJECT))
    from toolkit.ledger.branch import append
    from toolkit.ledger.record import LedgerRecord
    from toolkit.ledger.settings import LedgerSettings

    origin = root.parent / f"{root.name}-origin.git"
    env = _env(root.parent)
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True, env=env)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=root, check=True)
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=root, check=True, env=env)
    now = datetime.now(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    records = []
    for i in range(count * runs):
        started = (
            month_start + (now - month_start) / 2
            if i % runs == 0
            else now.replace(year=now.year - 1)
        )
        started += timedelta(seconds=i)
        records.append(
            LedgerRecord(
                f"{started:%Y%m%d-%H%M%S}-{i:06x}",
                f"auto-{i // runs:05d}",
                "1.1.0",
                False,
                None,
                False,
                "manual",
                f"Person {i % PEOPLE}",
                "laptop",
                started.isoformat(timespec="milliseconds"),
                1.0,
                "success",
                0,
                "real",
                True,
                None,
                None,
                float(30 + i % 600),
                None,
            )
        )
    previous = dict(os.environ)
    os.environ.update(env)  # the ledger's commits are made with the benchmark's Git config
    try:
        append(root, LedgerSettings(), "origin", records)
    finally:
        os.environ.clear()
        os.environ.update(previous)


def _env(base: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        NO_MKDOCS_2_WARNING="1",
        AUTOKIT_CACHE_DIR=str(base / "cache"),
        HOME=str(base),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(base / ".gitconfig"),
    )
    return env


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the command and every process it waited for.

    On a busy machine wall-clock time swings with other work; CPU time hardly does. Plain
    MkDocs runs in one process, so its CPU time is its idle-machine wall-clock time, and
    ours (worker processes included) bounds our idle-machine wall-clock time from above.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def plain_project(
    root: Path, target: Path, every_page_in_nav: bool, ideas: Path | None = None
) -> None:
    """The same generated pages as real files, built by plain mkdocs-material."""
    sys.path.insert(0, str(PROJECT))
    from toolkit.catalog import pages
    from toolkit.catalog.build import collect
    from toolkit.ideas.model import read_ideas

    catalog = collect(root)
    catalog.ideas = read_ideas(ideas) if ideas is not None else None
    generated = pages.generate(catalog, pages.Links())
    docs = target / "docs"
    shutil.copytree(PROJECT / "docs", docs)
    for src, text in generated.items():
        path = docs / src
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = yaml.safe_load((PROJECT / "mkdocs.yml").read_text())
    config["plugins"] = ["search", "tags"]
    if every_page_in_nav:
        automations = sorted(
            s for s in generated if s.startswith("automations/") and s != pages.ALL
        )
        config["nav"].insert(2, {"Every automation": automations})
    (target / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))


def ideas_page_seconds(root: Path, ideas: Path) -> tuple[float, int]:
    """Seconds to rank and render the Ideas page alone (median of 5), and its size."""
    from toolkit.catalog import pages
    from toolkit.catalog.build import collect
    from toolkit.ideas.model import read_ideas

    catalog = collect(root)
    times, page = [], ""
    for _ in range(5):
        start = time.perf_counter()
        catalog.ideas = read_ideas(ideas)
        page = pages._ideas(pages._environment(), catalog, pages.Links())
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(page.encode())


def measure(
    count: int,
    work: Path,
    rounds: int,
    idea_count: int = 0,
    people: int = PEOPLE,
    runs: int = RUNS,
) -> dict[str, Any]:
    """Median times of `rounds` interleaved rounds (plain, cold, warm), so both sides
    see the same machine load; the naive build runs once, as a reference."""
    root = work / f"repo-{count}"
    start = time.perf_counter()
    make_repository(root, count, people)
    if runs:
        publish_runs(root, count, runs)
    row: dict[str, Any] = {"automations": count, "history_seconds": time.perf_counter() - start}
    ideas = work / f"ideas-{idea_count}.json" if idea_count else None
    if ideas is not None:
        write_ideas(ideas, idea_count)
        row["ideas"] = idea_count
        row["ideas_page_seconds"], row["ideas_page_bytes"] = ideas_page_seconds(root, ideas)
    env = _env(work)
    site = work / f"site-{count}"
    build = [
        sys.executable,
        "-m",
        "toolkit",
        "--repo",
        str(root),
        "catalog",
        "build",
        "--site-dir",
        str(site),
        *(["--ideas", str(ideas)] if ideas is not None else []),
    ]
    plain = work / f"plain-{count}"
    plain_project(root, plain, every_page_in_nav=False, ideas=ideas)
    times: dict[str, list[float]] = {k: [] for k in ("plain", "cold", "warm")}
    cpu: dict[str, list[float]] = {k: [] for k in times}

    def run(kind: str, command: list[str], cwd: Path) -> None:
        wall, used = _timed(command, cwd, env)
        times[kind].append(wall)
        cpu[kind].append(used)

    for _ in range(rounds):
        run("plain", [sys.executable, "-m", "mkdocs", "build", "-q"], plain)
        shutil.rmtree(work / "cache", ignore_errors=True)  # cold: metadata validated afresh
        run("cold", build, root)
        # Warm: metadata verdicts cached by content, as after `autokit validate` in a job.
        run("warm", build, root)
    row["plain_seconds"] = statistics.median(times["plain"])
    row["autokit_seconds"] = statistics.median(times["cold"])
    row["autokit_warm_seconds"] = statistics.median(times["warm"])
    row["plain_cpu_seconds"] = statistics.median(cpu["plain"])
    row["autokit_cpu_seconds"] = statistics.median(cpu["cold"])
    row["autokit_warm_cpu_seconds"] = statistics.median(cpu["warm"])
    row["runs"] = {"wall": times, "cpu": cpu}
    row["plain_site_mb"] = _size(plain / "site") / 1e6
    shutil.rmtree(plain)
    row["autokit_site_mb"] = _size(site) / 1e6
    row["contributors"] = _contributors(site)
    row["ledger_runs"] = count * runs
    index = (site / "search" / "search_index.json").stat().st_size
    row["search_index_kb_per_automation"] = index / 1e3 / count
    if count in NAIVE_SIZES:
        naive = work / f"naive-{count}"
        plain_project(root, naive, every_page_in_nav=True, ideas=ideas)
        mkdocs_build = [sys.executable, "-m", "mkdocs", "build", "-q"]
        row["naive_seconds"] = _timed(mkdocs_build, naive, env)[0]
        row["naive_site_mb"] = _size(naive / "site") / 1e6
        shutil.rmtree(naive)
    row["ratio_to_plain"] = row["autokit_seconds"] / row["plain_seconds"]
    row["warm_ratio_to_plain"] = row["autokit_warm_seconds"] / row["plain_seconds"]
    row["cpu_ratio_to_plain"] = row["autokit_cpu_seconds"] / row["plain_cpu_seconds"]
    row["warm_cpu_ratio_to_plain"] = row["autokit_warm_cpu_seconds"] / row["plain_cpu_seconds"]
    row["load_average"] = os.getloadavg()[0]
    return row


def _contributors(site: Path) -> int:
    """The rows of the Contributors page's all-time table."""
    html = (site / "contributors" / "index.html").read_text(encoding="utf-8")
    table = html[html.index('class="ak-table ak-people"') :]
    return table[: table.index("</tbody>")].count("<tr>") - 1  # less the header row


def search_latency(site: Path) -> float:
    """Seconds from typing a word into the search box to the first result, in chromium."""
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.click("input.md-search__input")
            start = time.perf_counter()
            page.keyboard.type("k02999")
            page.locator(".md-search-result__item").first.wait_for(timeout=60_000)
            elapsed = time.perf_counter() - start
            browser.close()
    finally:
        server.shutdown()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000,3000")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--ideas", type=int, default=2000, help="ideas on the Ideas page")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--people", type=int, default=PEOPLE, help="contributors (500)")
    parser.add_argument("--runs", type=int, default=RUNS, help="ledger runs per automation (3)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as temporary:
        work = Path(temporary)
        for count in sizes:
            rows.append(measure(count, work, args.rounds, args.ideas, args.people, args.runs))
            print(_line(rows[-1]), flush=True)
        latency = None
        if not args.no_browser and Path("/usr/bin/chromium").exists():
            latency = search_latency(work / f"site-{max(sizes)}")
            print(f"chromium: typing to first search result at {max(sizes)}: {latency:.2f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_catalog.json"
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "search_latency_seconds": latency,
                "search_latency_automations": max(sizes),
            },
            indent=2,
        )
    )
    print(f"results written to {out}")


def _line(row: dict[str, Any]) -> str:
    naive = (
        f" | naive {row['naive_seconds']:.1f} s {row['naive_site_mb']:.0f} MB"
        if "naive_seconds" in row
        else ""
    )
    return (
        f"{row['automations']:>5} automations | autokit {row['autokit_seconds']:.1f} s "
        f"(warm {row['autokit_warm_seconds']:.1f} s) "
        f"{row['autokit_site_mb']:.0f} MB, index {row['search_index_kb_per_automation']:.2f}"
        f" KB/automation | plain {row['plain_seconds']:.1f} s {row['plain_site_mb']:.0f} MB"
        f" | ratio {row['ratio_to_plain']:.2f} (warm {row['warm_ratio_to_plain']:.2f})"
        f" | CPU {row['autokit_cpu_seconds']:.1f} s vs {row['plain_cpu_seconds']:.1f} s, ratio"
        f" {row['cpu_ratio_to_plain']:.2f} (warm {row['warm_cpu_ratio_to_plain']:.2f}){naive}"
        f" | {row['contributors']} contributors, {row['ledger_runs']} runs"
        f" | history {row['history_seconds']:.1f} s | load {row['load_average']:.1f}"
        + (
            f" | {row['ideas']} ideas: page {row['ideas_page_seconds'] * 1000:.0f} ms,"
            f" {row['ideas_page_bytes'] / 1e3:.0f} KB"
            if "ideas" in row
            else ""
        )
    )


if __name__ == "__main__":
    main()
