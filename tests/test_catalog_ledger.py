"""The catalog shows the shared run ledger: real `mkdocs build --strict` of a real repository
whose bare origin holds a ledger branch, published as `autokit runs push` publishes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from catalog_repo import build_catalog_repo, isolated_env
from helpers import automation_files, bare_origin, build_tree, commit_all, git, ledger_record
from helpers import publish_ledger as publish

from toolkit.catalog.build import collect
from toolkit.catalog.model import read_runs
from toolkit.ledger.summary import last_months
from toolkit.repo import Repository

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
HOSTILE_WHO = "<script>alert('ledger-who')</script>"
HOSTILE_ERROR = "<img src=x onerror=alert('ledger-error')>"
HOSTILE_NAME = "<script>alert(70)</script>"
GARBAGE = "runs/2026-11/garbage.json"
FAKE = "runs/2026-11/20261101-000000-abcdef.json"


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# invoice-reminders: (days ago, overrides). Real runs at 1, 2, 4, 10, 45 and 400 days;
# counted ones at 2, 10 (30 minutes each), 45 (60) and 400 (30) days.
INVOICE_RUNS: list[tuple[float, dict[str, object]]] = [
    (2, {"who": HOSTILE_WHO, "where": HOSTILE_WHO}),
    (10, {}),
    (1, {"status": "failed", "exit_code": 1, "counts": False, "error": HOSTILE_ERROR}),
    (3, {"kind": "example", "counts": False}),
    (3.5, {"kind": "rehearsal", "counts": False}),
    (3.7, {"kind": "test", "counts": False}),
    (4, {"dirty": True}),  # a run of uncommitted files: real, never a saving
    (45, {"minutes_saved": 60.0}),
    (400, {}),
]
INVOICE_REAL_DAYS = [1, 2, 4, 10, 45, 400]


def _records() -> list[object]:
    records = [
        ledger_record(n, started=_ago(days), automation="invoice-reminders", **overrides)
        for n, (days, overrides) in enumerate(INVOICE_RUNS, 1)
    ]
    records.append(ledger_record(20, started=_ago(20), automation="hostile-text", minutes_saved=12))
    # From the future (a clock set ahead): kept and counted as written.
    records.append(ledger_record(21, started=NOW + timedelta(days=3), automation="old-report"))
    # Of automations that are not in the repository (removed, or never there).
    records.append(ledger_record(22, started=_ago(5), automation="gone-automation"))
    records.append(ledger_record(23, started=_ago(6), automation="gone-automation"))
    return records


def _commit_by_hand(clone: Path, files: dict[str, str]) -> None:
    """Add `files` to origin's ledger branch with Git plumbing, as someone with push
    rights could, and fetch it into the clone."""
    index = clone / ".git" / "hand-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}

    def plumbing(*args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=clone,
            env=env,
            input=stdin,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    plumbing("read-tree", "origin/autokit/runs")
    for path, content in files.items():
        blob = plumbing("hash-object", "-w", "--stdin", stdin=content)
        plumbing("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = plumbing("write-tree")
    commit = plumbing("commit-tree", tree, "-p", "origin/autokit/runs", "-m", "by hand")
    plumbing("push", "-q", "origin", f"{commit}:refs/heads/autokit/runs")
    plumbing("fetch", "-q", "origin")
    index.unlink()


def _hostile_record() -> str:
    data = json.loads(ledger_record(30, started=_ago(3)).to_json())
    data["automation"] = HOSTILE_NAME  # looks like a record, names no automation
    return json.dumps(data)


class Built:
    def __init__(self, root: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.root, self.result = root, result
        self.site = root / "site"

    def page(self, path: str) -> str:
        html = (self.site / path / "index.html").read_text(encoding="utf-8")
        return html[html.index("<article") : html.index("</article>")]

    def automation(self, name: str) -> dict[str, object]:
        data = json.loads((self.site / "catalog.json").read_text(encoding="utf-8"))
        return next(a for a in data["automations"] if a["name"] == name)


def _part(html: str, start: str, end: str) -> str:
    """The part of `html` from `start` to the first `end` after it."""
    part = html[html.index(start) :]
    return part[: part.index(end)]


def _mkdocs_build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        env=isolated_env(root.parent),
        capture_output=True,
        text=True,
    )


def build_with_ledger(
    base: Path, records: list[object], by_hand: dict[str, str] | None = None
) -> Built:
    """The fixture repository under `base` with `records` on its origin's ledger branch
    (and `by_hand` files committed there), built with `mkdocs build --strict`."""
    root = build_catalog_repo(base / "repo", isolated_env(base))
    bare_origin(root)
    publish(root, records)
    if by_hand:
        _commit_by_hand(root, by_hand)
    result = _mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return Built(root, result)


@contextmanager
def served(site: Path) -> Iterator[str]:
    """The base URL of `site` served over loopback HTTP while the block runs."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    hand = {GARBAGE: "not a record <script>alert(71)</script>", FAKE: _hostile_record()}
    return build_with_ledger(tmp_path_factory.mktemp("ledger-catalog"), _records(), hand)


def test_automation_page_shows_its_runs_from_the_ledger(built: Built) -> None:
    html = built.page("automations/invoice-reminders")
    runs = _part(html, "<h2>Runs</h2>", "<h2>Inputs</h2>")
    last = _ago(1).isoformat(timespec="milliseconds")
    for expected in [
        "<tr><th>Real runs</th><td>4 in the last 30 days, 5 in 90 days, 5 in 365 days</td></tr>",
        "<tr><th>Success rate</th><td>75% (3 of 4 in the last 30 days)</td></tr>",
        f"<tr><th>Last run</th><td>failed, {last[:10]} {last[11:16]} UTC</td></tr>",
        "<tr><th>Hours saved</th><td>measured: 1.0 h in the last 30 days, 2.5 h in all; "
        "estimated: about 10.9 h per month (from its schedule)</td></tr>",
        "<figcaption>Real runs per month, last 12 months</figcaption>",
    ]:
        assert expected in runs, expected
    # The chart: one column per month of the last twelve, each titled with its runs.
    months = last_months(NOW)
    per_month = Counter(_ago(days).strftime("%Y-%m") for days in INVOICE_REAL_DAYS)
    for month in months:
        assert f"<title>{month}: {per_month[month]}</title>" in runs, month
    assert runs.count("<rect ") == 12 and "style=" not in runs
    on_demand = built.page("automations/old-report")
    assert "estimated: none (it runs on demand)" in on_demand
    assert "<tr><th>Real runs</th><td>1 in the last 30 days" in on_demand  # from the future


def test_automation_without_runs_says_so(built: Built) -> None:
    html = built.page("automations/bare-minimum")
    runs = _part(html, "<h2>Runs</h2>", "<h2>Inputs</h2>")
    assert "No runs yet: the run ledger holds no real run of this automation." in runs
    assert "<svg" not in runs


def test_impact_page_puts_the_measurement_beside_the_estimate(built: Built) -> None:
    html = built.page("impact")
    assert "<strong>1.7 hours saved in the last 30 days</strong> and 3.2 hours in all" in html
    measured = _part(html, '<table class="ak-table ak-measured">', "</table>")
    assert (
        '<tr><td><a href="../automations/invoice-reminders/">Invoice reminders</a></td>'
        "<td>4</td><td>1.0</td><td>2.5</td><td>10.9</td></tr>"
    ) in measured
    assert "<td>1</td><td>0.5</td><td>0.5</td><td>on demand</td></tr>" in measured  # old-report
    assert measured.index("Invoice reminders") < measured.index("Old report")
    departments = _part(html, "ak-measured-departments", "</table>")
    assert (
        '<tr><td><a href="../departments/finance/">Finance</a></td>'
        "<td>4</td><td>1.0</td><td>2.5</td><td>10.9</td></tr>"
    ) in departments
    assert '<a href="../departments/operations/">operations</a></td><td>1</td>' in departments
    shop: Counter[str] = Counter()
    for days, minutes in [(2, 30), (10, 30), (45, 60), (20, 12), (-3, 30)]:
        shop[_ago(days).strftime("%Y-%m")] += minutes
    for month in last_months(NOW):
        assert f"<title>{month}: {shop[month] / 60:,.1f} h</title>" in html, month
    assert "<code>gone-automation</code> (2 records)" in html
    assert "leaves out what a schedule cannot tell: automations run on demand" in html
    assert "the measurement is what counts" in html
    assert "10.9 hours a month" in html  # the estimate is still there


def test_home_page_ranks_by_measured_hours_and_says_so(built: Built) -> None:
    html = built.page("")
    block = _part(html, "<h2>Most hours saved</h2>", "</ul>")
    assert "Measured by the run ledger, all time" in block
    items = [
        '<a href="automations/invoice-reminders/">Invoice reminders</a>: 2.5 h saved',
        '<a href="automations/old-report/">Old report</a>: 0.5 h saved',
        "0.2 h saved",
    ]
    positions = [block.index(item) for item in items]
    assert positions == sorted(positions)
    assert "h a month" not in block


def test_catalog_json_holds_each_automations_runs(built: Built) -> None:
    last = _ago(1).isoformat(timespec="milliseconds")
    assert built.automation("invoice-reminders")["runs"] == {
        "last_30_days": 4,
        "success_rate_30_days": 0.75,
        "last_run": {"status": "failed", "started_at": last},
        "hours_saved_30_days": 1.0,
        "hours_saved_total": 2.5,
    }
    assert built.automation("bare-minimum")["runs"] == {
        "last_30_days": 0,
        "success_rate_30_days": None,
        "last_run": None,
        "hours_saved_30_days": 0.0,
        "hours_saved_total": 0.0,
    }


def test_files_that_are_not_records_are_named_in_notes_and_the_build_passes(
    built: Built,
) -> None:
    home = built.page("")
    for path in (GARBAGE, FAKE):
        assert f"Run ledger: {path}: skipped, not a run record" in home, path
        assert f"catalog: Run ledger: {path}: skipped" in built.result.stderr, path
    assert "&lt;script&gt;alert(70)&lt;/script&gt;" in home  # the name it gave, as text
    assert "2 run record(s) of 1 automation(s) not in the repository" in home
    assert "1 run record(s) say they started after this build did" in home
    data = json.loads((built.site / "catalog.json").read_text(encoding="utf-8"))
    assert [n for n in data["notes"] if GARBAGE in n]


def test_hostile_ledger_text_never_reaches_a_page_unescaped(built: Built) -> None:
    pages = list(built.site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for hostile in (HOSTILE_WHO, HOSTILE_ERROR, HOSTILE_NAME, "<script>alert(71)"):
            assert hostile not in html, (page, hostile)
    assert "ledger-who" not in (built.site / "catalog.json").read_text(encoding="utf-8")


def test_repository_without_a_ledger_branch_builds_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    build_catalog_repo(root, isolated_env(tmp_path))
    result = _mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    assert "catalog: No run ledger: this clone has no `autokit/runs` branch" in result.stderr
    built = Built(root, result)
    home = built.page("")
    assert "No run ledger: this clone has no <code>autokit/runs</code> branch" in home
    assert "<code>autokit runs push</code>" in home and "<code>share_runs = true</code>" in home
    assert "Estimated from the schedules" in home and "10.9 h a month" in home
    assert "No runs yet" in built.page("automations/invoice-reminders")
    assert "this build found no run ledger" in built.page("impact")
    assert built.automation("invoice-reminders")["runs"]["last_30_days"] == 0


def test_an_empty_ledger_branch_says_it_holds_no_runs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    build_tree(root, automation_files("hello"))
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "hello")
    tree = git(root, "hash-object", "-w", "-t", "tree", "/dev/null").strip()  # empty
    empty = git(root, "commit-tree", tree, "-m", "ledger").strip()
    git(root, "update-ref", "refs/heads/autokit/runs", empty)
    runs = read_runs(Repository(root), frozenset({"hello"}), NOW)
    assert runs.found and not runs.by_automation
    assert [n for n in runs.notes if "The run ledger (`autokit/runs`) holds no runs yet" in n]


def test_worker_processes_each_get_their_figures_and_give_the_same_catalog(built: Built) -> None:
    serial, parallel = collect(built.root, workers=1), collect(built.root, workers=2)
    assert parallel.entries == serial.entries
    runs = {e.name: e.runs.hours_total for e in parallel.entries if e.runs is not None}
    assert runs == {"hostile-text": 0.2, "invoice-reminders": 2.5, "old-report": 0.5}
    assert serial.runs.by_automation.keys() == set(runs)
    # A worker is sent the figures of its own automations only.
    assert serial.runs.for_names(["bare-minimum", "old-report"]).keys() == {"old-report"}


def test_a_ledger_setting_that_is_wrong_becomes_a_note(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    build_tree(root, automation_files("hello"))
    (root / "pyproject.toml").write_text('[tool.autokit]\nledger_branch = "a..b"\n')
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "hello")
    runs = read_runs(Repository(root), frozenset({"hello"}), NOW)
    assert not runs.found
    assert runs.notes == [
        "pyproject.toml:2: [tool.autokit] ledger_branch: 'a..b' is not a branch name "
        '(write ledger_branch = "autokit/runs" (the default), or another plain name): '
        "runs are not shown."
    ]


@pytest.mark.browser
def test_charts_of_runs_draw_in_a_browser_within_the_policy(built: Built) -> None:
    """The inline SVG charts are styled by the site's style sheet (no inline style the
    policy would refuse), and hostile ledger text runs nothing."""
    from playwright.sync_api import sync_playwright
    from test_catalog_browser import CHROMIUM, CHROMIUM_ARGS, INJECTED, VIOLATIONS

    dialogs: list[str] = []
    with served(built.site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_init_script(VIOLATIONS)
        tab = context.new_page()
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path in ("/automations/invoice-reminders/", "/impact/", "/"):
            tab.goto(base + path)
            tab.wait_for_load_state("networkidle")
            assert tab.evaluate("window.__violations") == [], path
            assert tab.evaluate(INJECTED) == [], path
            if path != "/":
                fill = tab.evaluate(
                    "getComputedStyle(document.querySelector('.ak-trend rect')).fill"
                )
                assert fill not in ("", "rgb(0, 0, 0)"), (path, fill)  # the sheet's colour
        browser.close()
    assert dialogs == []
