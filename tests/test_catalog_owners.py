"""The catalog's Owners pages mark what has gone stale: a real `mkdocs build --strict` of a
real repository with commits at chosen dates and a ledger on its bare origin."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from catalog_repo import XSS, isolated_env, site_files
from helpers import automation_files, bare_origin, commit_as, git, ledger_record, publish_ledger

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class Site:
    def __init__(self, root: Path) -> None:
        self.site = root / "site"

    def page(self, path: str) -> str:
        html = (self.site / path / "index.html").read_text(encoding="utf-8")
        return html[html.index("<article") : html.index("</article>")]

    def row(self, owner: str) -> str:
        html = self.page("owners")
        start = html.index(f">{owner}</a>")
        return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Site:
    base = tmp_path_factory.mktemp("owners-catalog")
    env = isolated_env(base)
    root = base / "repo"
    root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        for key in ("HOME", "GIT_CONFIG_GLOBAL", "AUTOKIT_CACHE_DIR", "AUTOKIT_HOME"):
            patch.setenv(key, env[key])
        _repository(root)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return Site(root)


def _repository(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    site_files(root)
    bob = "Bob <bob@users.noreply.github.com>"
    commit_as(
        root,
        bob,
        ago(300),
        automation_files("idle-one", title=XSS, owners=["@bob", "@shop/finance"]),
    )
    commit_as(
        root,
        "Carol W <carol@shop.example>",
        ago(20),
        automation_files("never-run", owners=["@carol"]),
    )
    mailmap = "carol <carol@users.noreply.github.com> <carol@shop.example>\n"
    commit_as(
        root,
        "Alice <7+alice@users.noreply.github.com>",
        ago(10),
        {**automation_files("fresh", owners=["@alice"]), ".mailmap": mailmap},
    )
    bare_origin(root)
    publish_ledger(
        root,
        [
            ledger_record(1, started=ago(10), automation="fresh"),
            ledger_record(2, started=ago(100), automation="idle-one"),
            ledger_record(3, started=ago(5), automation="idle-one", status="failed", counts=False),
        ],
    )


def test_the_owners_index_marks_stale_owners_and_idle_automations(built: Site) -> None:
    assert "no commit in 180 days" in built.row("@bob")
    assert "1 with no counted run in 90 days" in built.row("@bob")
    assert "a team (commits not checked)" in built.row("@shop/finance")
    assert "(commits not checked); 1 with no counted run in 90 days" in built.row("@shop/finance")
    # carol's work address is hers through .mailmap; her automation never counted a run
    assert "no commit in" not in built.row("@carol")
    assert "1 with no counted run in 90 days" in built.row("@carol")
    assert '<td class="ak-owner-stale"></td>' in built.row("@alice")


def test_a_stale_owners_page_says_so_and_lists_idle_automations(built: Site) -> None:
    html = built.page("owners/bob")
    assert "No commit in 180 days" in html
    assert f"the last one is from {ago(300).date().isoformat()}" in html
    idle = html[html.index("No counted run in 90 days") :]
    idle = idle[: idle.index("</ul>")]
    assert f"last counted run {ago(100).date().isoformat()}" in idle
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in idle
    assert "<script>alert(1)" not in html


def test_a_current_owners_page_is_unmarked(built: Site) -> None:
    html = built.page("owners/alice")
    assert "No commit in" not in html
    assert "No counted run" not in html
    carol = built.page("owners/carol")
    assert "No commit in" not in carol
    assert "never counted a run" in carol


def test_department_pages_are_unchanged(built: Site) -> None:
    html = built.page("departments")
    assert "Stale" not in html
    assert "no counted run" not in built.page("departments/operations")
