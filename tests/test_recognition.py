"""Recognition on the Contributors page, on automation pages and in `autokit report --by
person`: a real repository with five people (one committing from two addresses that
`.mailmap` joins, one whose name is an HTML payload), releases, a real run ledger on its
origin, and real `mkdocs build --strict` runs, ranked and with `leaderboard = false`."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from catalog_repo import isolated_env, site_files
from helpers import automation_files, bare_origin, build_tree, ledger_record, publish_ledger

from toolkit.catalog.build import collect
from toolkit.catalog.recognition import BADGES, Person, Window, Work, credit
from toolkit.git import CommitInfo

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
MONTH_START = NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
THIS_MONTH = MONTH_START + (NOW - MONTH_START) / 2  # surely this month, and not ahead
EARLY = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

ANN_HOME = "Ann <ann@home.example>"
ANN_WORK = "Ann W. <ann.w@work.example>"
ANN = "Ann Example"  # as .mailmap names her, with her GitHub noreply address
BOB = "Bob <bob@shop.example>"  # "Bob" is the handle @bob as name
DAVE = "Dave Helper <dave@shop.example>"
# Git drops "<" and ">" from names, so the payload breaks out of attributes instead, and
# carries entities that must stay text.
EVE_NAME = 'Eve" onmouseover="alert(1)" &lt;script&gt;alert(2)&lt;/script&gt; Mallory'
EVE = f"{EVE_NAME} <eve@shop.example>"
MAILMAP = (
    "# both of Ann's addresses are hers\n"
    f"{ANN} <ann@users.noreply.github.com> <ann@home.example>\n"
    f"{ANN} <ann@users.noreply.github.com> <ann.w@work.example>\n"
    "this line is no mailmap entry\n"
    "<<>> broken < line\n"
    "Nobody <\n"
)


def _commit(root: Path, env: dict[str, str], who: str, when: datetime, message: str) -> str:
    name, email = who.removesuffix(">").rsplit(" <", 1)
    stamp = when.isoformat(timespec="seconds")
    person = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    run = {**env, **person}
    subprocess.run(["git", "add", "-A"], cwd=root, env=run, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=root, env=run, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, env=run, check=True, capture_output=True, text=True
    ).stdout.strip()


def _tag(root: Path, env: dict[str, str], tag: str) -> None:
    subprocess.run(["git", "tag", tag], cwd=root, env=env, check=True)


def _version(root: Path, name: str, version: str, **fields: object) -> None:
    build_tree(root, automation_files(name, version=version, **fields))
    sections = "".join(f"## {v}\n\n- Version {v}.\n\n" for v in _up_to(version))
    build_tree(root, {f"automations/{name}/CHANGELOG.md": sections})


def _up_to(version: str) -> list[str]:
    minor = int(version.split(".")[1])
    return [f"1.{n}.0" for n in range(minor, -1, -1)]


def build_repository(root: Path, env: dict[str, str]) -> Path:
    """Who did what, when (E: early, in 2025; M: this month):

    E  Ann (home address) makes `invoices` (owner @ann) and tags 1.0.0
    E  Bob makes `payroll` (owners @bob, @carol) and tags 1.0.0
    E  Eve makes `hostile` (owner @carol, whom no Git identity is)
    E  Ann (work address) ships invoices 1.1.0, 1.2.0, 1.3.0
    E  Dave changes invoices and payroll: helps Ann and Bob
    M  Ann ships invoices 1.4.0: her fifth release
    M  Bob makes `reports` (owner @bob)
    M  Dave changes hostile: helps Eve, his third colleague
    """
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True)
    site_files(root)
    build_tree(root, {".mailmap": MAILMAP})
    _version(root, "invoices", "1.0.0", owners=["@ann"], title="Invoices")
    _commit(root, env, ANN_HOME, EARLY, "invoices")
    _tag(root, env, "invoices@1.0.0")
    _version(root, "payroll", "1.0.0", owners=["@bob", "@carol"], title="Payroll")
    _commit(root, env, BOB, EARLY + timedelta(days=1), "payroll")
    _tag(root, env, "payroll@1.0.0")
    _version(root, "hostile", "1.0.0", owners=["@carol"], title="Hostile")
    _commit(root, env, EVE, EARLY + timedelta(days=2), "hostile")
    for minor in (1, 2, 3):
        _version(root, "invoices", f"1.{minor}.0", owners=["@ann"], title="Invoices")
        _commit(root, env, ANN_WORK, EARLY + timedelta(days=2 + minor), f"invoices 1.{minor}")
        _tag(root, env, f"invoices@1.{minor}.0")
    build_tree(root, {"automations/invoices/README.md": "# Invoices\n\nBy Ann, fixed by Dave.\n"})
    _commit(root, env, DAVE, EARLY + timedelta(days=10), "a typo in invoices")
    build_tree(root, {"automations/payroll/README.md": "# Payroll\n\nBy Bob, fixed by Dave.\n"})
    _commit(root, env, DAVE, EARLY + timedelta(days=11), "a typo in payroll")
    _version(root, "invoices", "1.4.0", owners=["@ann"], title="Invoices")
    _commit(root, env, ANN_WORK, THIS_MONTH, "invoices 1.4")
    _tag(root, env, "invoices@1.4.0")
    _version(root, "reports", "1.0.0", owners=["@bob"], title="Reports")
    _commit(root, env, BOB, THIS_MONTH + timedelta(seconds=1), "reports")
    build_tree(root, {"automations/hostile/README.md": "# Hostile\n\nBy Eve, fixed by Dave.\n"})
    _commit(root, env, DAVE, THIS_MONTH + timedelta(seconds=2), "a typo in hostile")
    return root


def ledger_runs() -> list[object]:
    """Counted runs: invoices 100 h early and 1 h this month (and a failed run that
    saves nothing); payroll 8 h early and 3 h this month; reports 0.5 h and hostile 1 h
    this month."""
    runs: list[tuple[str, datetime, float, str | None]] = [
        ("invoices", EARLY + timedelta(days=20), 6000.0, ANN),
        *[("invoices", THIS_MONTH, 30.0, ANN)] * 2,
        *[("payroll", EARLY + timedelta(days=21), 30.0, "Bob")] * 16,
        *[("payroll", THIS_MONTH, 30.0, "Bob")] * 6,
        ("reports", THIS_MONTH, 30.0, None),
        *[("hostile", THIS_MONTH, 30.0, None)] * 2,
    ]
    records = [
        ledger_record(
            n, automation=name, started=when + timedelta(seconds=n), minutes_saved=m, who=who
        )
        for n, (name, when, m, who) in enumerate(runs, 1)
    ]
    failed = {"status": "failed", "exit_code": 1, "counts": False, "minutes_saved": 0.0}
    records.append(ledger_record(99, automation="invoices", started=THIS_MONTH, who=ANN, **failed))
    return records


class Shop:
    def __init__(self, base: Path, root: Path) -> None:
        self.base, self.root, self.env = base, root, isolated_env(base)

    def build(self, site: str) -> str:
        """`mkdocs build --strict` into `site`; the Contributors page's article."""
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return self.page(site, "contributors")

    def page(self, site: str, path: str) -> str:
        html = (self.root / site / path / "index.html").read_text(encoding="utf-8")
        return html[html.index("<article") : html.index("</article>")]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    base = tmp_path_factory.mktemp("recognition")
    env = isolated_env(base)
    root = build_repository(base / "repo", env)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("HOME", "GIT_CONFIG_GLOBAL", "AUTOKIT_CACHE_DIR", "AUTOKIT_HOME"):
            patch.setenv(key, env[key])
        bare_origin(root)
        publish_ledger(root, ledger_runs())
    return Shop(base, root)


@pytest.fixture(scope="module")
def ranked(shop: Shop) -> str:
    return shop.build("site")


@pytest.fixture(scope="module")
def alphabetical(shop: Shop, ranked: str) -> str:
    pyproject = shop.root / "pyproject.toml"
    kept = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(kept + "leaderboard = false\n", encoding="utf-8")
    try:
        return shop.build("site-alphabetical")
    finally:
        pyproject.write_text(kept, encoding="utf-8")


def _people(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Person], list[Person]]:
    for key in ("HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.setenv(key, shop.env[key])
    people = collect(shop.root).people
    return people.all_time, people.this_month


def _figures(person: Person) -> tuple[object, ...]:
    return (
        person.name,
        sorted(person.authored),
        sorted(person.maintained),
        person.versions,
        person.hours,
        person.colleagues_helped,
        person.help_changes,
        [badge.id for badge in person.badges],
    )


def test_all_time_figures_and_badges(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    all_time, _ = _people(shop, monkeypatch)
    # Ann's two addresses are one person (.mailmap, its bad lines skipped); @carol is no
    # Git identity, so she is listed by handle; ranked by measured hours saved.
    assert [_figures(p) for p in all_time] == [
        (
            ANN,
            ["invoices"],
            ["invoices"],
            5,
            101.0,
            0,
            0,
            ["first-automation", "hours-10", "hours-100", "five-releases"],
        ),
        ("@carol", [], ["hostile", "payroll"], 0, 12.0, 0, 0, ["hours-10"]),
        (
            "Bob",
            ["payroll", "reports"],
            ["payroll", "reports"],
            1,
            11.5,
            0,
            0,
            ["first-automation", "hours-10"],
        ),
        (EVE_NAME, ["hostile"], [], 0, 1.0, 0, 0, ["first-automation"]),
        ("Dave Helper", [], [], 0, 0.0, 3, 3, ["helped-3"]),
    ]
    assert all_time[0].handles == ("ann",) and all_time[2].handles == ("bob",)
    assert all_time[0].ideas_submitted == all_time[0].ideas_built == 0  # no ideas file here


def test_this_month_figures_and_the_badges_earned_in_it(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, month = _people(shop, monkeypatch)
    assert [_figures(p) for p in month] == [
        ("@carol", [], ["hostile", "payroll"], 0, 4.0, 0, 0, ["hours-10"]),  # 8 h before
        ("Bob", ["reports"], ["payroll", "reports"], 0, 3.5, 0, 0, ["hours-10"]),
        (ANN, [], ["invoices"], 1, 1.0, 0, 0, ["five-releases"]),  # her fifth release
        (EVE_NAME, [], [], 0, 1.0, 0, 0, []),
        ("Dave Helper", [], [], 0, 0.0, 1, 1, ["helped-3"]),  # his third colleague
    ]


def _rows(html: str, table: str) -> list[list[str]]:
    """The cells' text of each body row of the table with class `table`."""
    part = html[html.index(f'class="ak-table {table}"') :]
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)) for cell in row] for row in cells]


def test_contributors_page_ranks_people_with_badges_and_a_legend(ranked: str) -> None:
    rows = _rows(ranked, "ak-people")
    # rank, person, badges, authored, maintains, versions, hours, colleagues helped, ideas
    assert [row[:2] + row[3:] for row in rows] == [
        ["1", f"{ANN} (@ann)", "1", "1", "5", "101.0", "0 (0 changes)", "0 (0)"],
        ["2", "@carol", "0", "2", "0", "12.0", "0 (0 changes)", "0 (0)"],
        ["3", "Bob (@bob)", "2", "2", "1", "11.5", "0 (0 changes)", "0 (0)"],
        ["4", EVE_NAME, "1", "0", "0", "1.0", "0 (0 changes)", "0 (0)"],
        ["5", "Dave Helper", "0", "0", "0", "0.0", "3 (3 changes)", "0 (0)"],
    ]
    assert rows[0][2] == "First automation 10 hours saved 100 hours saved 5 releases"
    month = _rows(ranked, "ak-people-month")
    assert [(row[0], row[1], row[2], row[5], row[6]) for row in month] == [
        ("1", "@carol", "10 hours saved", "4.0", "0 (0 changes)"),
        ("2", "Bob (@bob)", "10 hours saved", "3.5", "0 (0 changes)"),
        ("3", f"{ANN} (@ann)", "5 releases", "1.0", "0 (0 changes)"),
        ("4", EVE_NAME, "", "1.0", "0 (0 changes)"),
        ("5", "Dave Helper", "Helped 3 colleagues", "0.0", "1 (1 change)"),
    ]
    authored_and_shipped = [row[3:5] for row in month]
    assert authored_and_shipped == [["0", "0"], ["1", "0"], ["0", "1"], ["0", "0"], ["0", "0"]]
    assert f"This month ({NOW:%Y-%m}, UTC)" in ranked
    # Every badge carries its rule on hover, and the legend says each rule once more.
    legend = ranked[ranked.index('class="ak-badge-legend"') :]
    for badge in BADGES:
        rule = badge.rule.replace("<", "&lt;").replace(">", "&gt;")
        assert f'title="{rule}">{badge.title}</span>' in ranked, badge.id
        assert f"<dd>{rule}</dd>" in legend, badge.id
    assert ranked.count('title="Shipped 5 versions') == 3  # Ann all time and this month, the legend
    assert '<a href="../owners/carol/">@carol</a>' in ranked
    assert '(<a href="../owners/ann/">@ann</a>)' in ranked


def test_leaderboard_false_lists_people_alphabetically_without_ranks(alphabetical: str) -> None:
    rows = _rows(alphabetical, "ak-people")
    names = [row[0] for row in rows]
    assert names == ["@carol", f"{ANN} (@ann)", "Bob (@bob)", "Dave Helper", EVE_NAME]
    assert rows[1][2:6] == ["1", "1", "5", "101.0"]  # the figures stay, without a rank
    assert "<th>#</th>" not in alphabetical
    assert "Listed alphabetically" in alphabetical and "Ranked by" not in alphabetical
    assert "5 releases</span>" in alphabetical  # badges stay
    month = _rows(alphabetical, "ak-people-month")
    assert [row[0] for row in month][:2] == ["@carol", f"{ANN} (@ann)"]


def test_a_hostile_author_name_is_text_everywhere(shop: Shop, ranked: str) -> None:
    escaped = "Eve&#34; onmouseover=&#34;alert(1)&#34; &amp;lt;script&amp;gt;alert(2)"
    hostile = shop.page("site", "automations/hostile")
    for html in (ranked, hostile):
        assert escaped in html
        assert 'onmouseover="' not in html and "<script>alert(2)" not in html
    assert f"<tr><th>Made by</th><td>{escaped}&amp;lt;/script&amp;gt; Mallory</td></tr>" in hostile


def test_automation_pages_credit_who_made_maintains_and_contributed(
    shop: Shop, ranked: str
) -> None:
    invoices = shop.page("site", "automations/invoices")
    assert f"<tr><th>Made by</th><td>{ANN}</td></tr>" in invoices  # one person, two addresses
    assert '<tr><th>Maintained by</th><td><a href="https://github.com/ann">@ann</a></td></tr>' in (
        invoices
    )
    assert "<tr><th>Contributed</th><td>Dave Helper (1 commit)</td></tr>" in invoices
    reports = shop.page("site", "automations/reports")
    assert "<tr><th>Contributed</th><td>nobody else yet</td></tr>" in reports


def test_a_bad_leaderboard_setting_is_a_note_and_an_error_at_its_line(
    shop: Shop, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(shop.root, root, ignore=shutil.ignore_patterns("site*"))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'leaderboard = "no"\n', encoding="utf-8")
    line = len(pyproject.read_text().splitlines())
    expected = f"pyproject.toml:{line}: [tool.autokit] leaderboard: 'no' is not true or false"
    for key in ("HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.setenv(key, shop.env[key])
    catalog = collect(root)
    assert any(note.startswith(expected) for note in catalog.notes), catalog.notes
    assert catalog.people.ranked
    result = cli("report", "--repo", str(root), "--by", "person")
    assert result.code == 1 and expected in result.err and "Traceback" not in result.err


def _report(cli, root: Path, *args: str) -> dict[str, dict[str, object]]:
    result = cli("report", "--repo", str(root), "--by", "person", "--format", "json", *args)
    assert result.code == 0, result
    return {str(g["group"]): g for g in json.loads(result.out)["groups"]}


def test_report_by_person_all_time(shop: Shop, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.setenv(key, shop.env[key])
    people = _report(cli, shop.root, "--days", "99999999999")
    ann = people[ANN]
    assert (ann["runs"], ann["counted"], ann["hours_saved"]) == (4, 3, 101.0)  # runs she started
    assert ann["authored"] == ["invoices"] and ann["versions_shipped"] == 5
    assert ann["handles"] == ["@ann"] and ann["their_hours_saved"] == 101.0
    assert ann["badges"] == ["first-automation", "hours-10", "hours-100", "five-releases"]
    assert ann["ideas_submitted"] == ann["ideas_built"] == 0
    dave = people["Dave Helper"]
    assert (dave["runs"], dave["colleagues_helped"], dave["help_changes"]) == (0, 3, 3)
    assert people["@carol"]["maintained"] == ["hostile", "payroll"]
    assert people[EVE_NAME]["authored"] == ["hostile"]
    assert people["None"]["runs"] == 3  # the runs nobody is recorded for
    assert people["None"]["authored"] == []


def test_report_by_person_in_a_period_and_as_text_and_csv(
    shop: Shop, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.setenv(key, shop.env[key])
    people = _report(cli, shop.root)  # the last 30 days: only this month's work
    assert people[ANN]["versions_shipped"] == 1 and people[ANN]["their_hours_saved"] == 1.0
    assert people["Bob"]["authored"] == ["reports"] and people["Bob"]["their_hours_saved"] == 3.5
    assert people["Dave Helper"]["help_changes"] == 1
    assert people["Dave Helper"]["badges"] == ["helped-3"]  # badges: all time

    text = cli("report", "--repo", str(shop.root), "--by", "person")
    assert text.code == 0, text
    line = next(x for x in text.out.splitlines() if x.startswith("Dave Helper"))
    assert line.split()[-6:] == ["0", "0", "0", "0", "1", "helped-3"]
    assert EVE_NAME in text.out  # printable: no control characters to escape here

    result = cli("report", "--repo", str(shop.root), "--by", "person", "--format", "csv")
    rows = {row["person"]: row for row in csv.DictReader(io.StringIO(result.out))}
    assert rows["Bob"]["maintained"] == "payroll reports"
    assert rows["'@carol"]["their_hours_saved"] == "4.0"


def test_a_mailmap_of_garbage_breaks_nothing(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo({**automation_files("hello"), ".mailmap": "x"})
    (root / ".mailmap").write_bytes(b"\x00\xff\xfe<\n<<>>\nName <\n> <a@b> <\n\xc3(\n" * 50)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Second Person")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "second@example.com")
    build_tree(root, {"automations/hello/README.md": "# Hello\n\nChanged.\n"})
    subprocess.run(["git", "commit", "-qam", "change"], cwd=root, check=True)
    people = collect(root).people
    assert [(p.name, p.authored, p.help_changes) for p in people.all_time] == [
        ("Test Author", ["hello"], 0),
        ("Second Person", [], 1),
        ("@alice", [], 0),  # the owner, whom no identity is
    ]


def _commit_info(sha: str, who: str, date: str) -> CommitInfo:
    name, email = who.removesuffix(">").split(" <")
    return CommitInfo(sha, name, email, date, ())


def test_a_handle_two_identities_claim_is_nobody_s_for_sure() -> None:
    commits = [
        _commit_info("b", "alice <alice@shop.example>", "2026-02-01T00:00:00+00:00"),
        _commit_info("a", "Alice <alice@users.noreply.github.com>", "2026-01-01T00:00:00+00:00"),
    ]
    works = [Work("hello", ("@alice", "@shop/team"), commits, [])]
    people = {p.key: p for p in credit(works, Window(), {"hello": 2.0})}
    assert set(people) == {"alice@shop.example", "alice@users.noreply.github.com", "@alice"}
    assert people["@alice"].maintained == ["hello"] and people["@alice"].hours == 2.0
    noreply = people["alice@users.noreply.github.com"]
    assert noreply.authored == ["hello"] and noreply.handles == () and noreply.hours == 2.0
    # the other identity changed an automation it neither authored nor surely owns
    assert people["alice@shop.example"].help_changes == 1
