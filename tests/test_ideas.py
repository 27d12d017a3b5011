"""The ideas backlog: idea issues on a GitHub API on loopback, `autokit ideas fetch` into
the ideas file, the catalog's Ideas page (real `mkdocs build --strict`), and `autokit new
--from-idea` with an automation that then really runs and is measured by the ledger."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_repo import XSS, site_files
from github_api import REPOSITORY, TOKEN, FakeGitHub, serving
from helpers import automation_files, bare_origin, build_tree, commit_all, git

from toolkit.ideas import form
from toolkit.ideas.model import Idea, idea_of_issue, ranked
from toolkit.notify.github import GitHubClient

PROJECT = Path(__file__).resolve().parent.parent
ISSUES = f"https://github.com/{REPOSITORY}/issues"


def form_body(**answers: str) -> str:
    """An issue body as GitHub writes an idea form's answers (`_No response_` for empty)."""
    values = {
        form.PROCESS: "1. Open the order emails\n2. Copy each order into the sheet",
        form.WHO: "@maria, operations",
        form.DEPARTMENT: "",
        form.FREQUENCY: "Daily",
        form.TIMES_A_MONTH: "",
        form.MINUTES: "20",
        form.PEOPLE: "1",
        "Systems and data involved": "Mailbox, the stock sheet",
        **{label.replace("_", " "): text for label, text in answers.items()},
    }
    return "\n\n".join(
        f"### {label}\n\n{text or '_No response_'}" for label, text in values.items()
    )


def idea_issue(number: int, title: str, body: str, **fields: Any) -> dict[str, Any]:
    issue = {
        "number": number,
        "title": title,
        "body": body,
        "labels": [{"name": "idea"}],
        "state": "open",
        "state_reason": None,
        "user": {"login": "maria"},
        "reactions": {"+1": 0, "-1": 0},
        "assignees": [],
        "html_url": f"{ISSUES}/{number}",
        "comments": 0,
        "created_at": "2026-11-01T09:00:00Z",
    }
    issue.update(fields)
    return issue


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with serving(fake) as url:
        monkeypatch.setenv("GITHUB_API_URL", url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        monkeypatch.setattr(GitHubClient, "max_wait", 0.2)
        monkeypatch.setattr(GitHubClient, "timeout", 3.0)
        yield fake


def three_ideas(fake: FakeGitHub) -> None:
    """#1: 21 a month x 20 min x 2 people = 14 h; #2: weekly x 30 min = 2.17 h, but the
    most 👍 of the clear ones; #3: monthly x 60 min x 3 = 3 h, hostile text; #4: absurd
    numbers and the most 👍 of all, so it must come last all the same."""
    fake.issues[1] = idea_issue(
        1, "Idea: Chase unpaid invoices", form_body(People_who_do_it="2", Department="Finance")
    )
    fake.issues[2] = idea_issue(
        2,
        "Idea: Weekly stock count",
        form_body(How_often="Weekly", Minutes_each_time="30 minutes"),
        reactions={"+1": 5},
        assignees=[{"login": "bob"}],
    )
    fake.issues[3] = idea_issue(
        3,
        f"Idea: {XSS} month-end",
        form_body(
            The_process=f"{XSS} [x](javascript:alert(3)) <a href='javascript:alert(5)'>y</a>",
            How_often="Monthly",
            Minutes_each_time="60",
            People_who_do_it="3",
        ),
        reactions={"+1": 1},
        html_url="javascript:alert(4)",
    )
    fake.issues[4] = idea_issue(
        4,
        "Idea: Everyone retypes everything",
        form_body(People_who_do_it="5000", Minutes_each_time="-5"),
        reactions={"+1": 40},
    )


# --- the form and the numbers ---------------------------------------------------------


def test_the_form_has_every_field_the_parser_reads() -> None:
    shipped = yaml.safe_load((PROJECT / ".github/ISSUE_TEMPLATE/automation-idea.yml").read_text())
    fields = {item["attributes"]["label"]: item for item in shipped["body"] if "id" in item}
    for label in (
        form.PROCESS,
        form.WHO,
        form.DEPARTMENT,
        form.FREQUENCY,
        form.TIMES_A_MONTH,
        form.MINUTES,
        form.PEOPLE,
    ):
        assert label in fields, label
    assert fields[form.FREQUENCY]["attributes"]["options"] == list(form.FREQUENCIES)
    assert fields[form.PEOPLE]["validations"]["required"] is True
    assert shipped["labels"] == [form.LABEL]


@pytest.mark.parametrize(
    ("answers", "hours", "unclear"),
    [
        ({}, 7.0, ()),  # 21 x 20 min x 1
        ({"How_often": "Weekly", "Minutes_each_time": "30"}, 2.17, ()),
        ({"Times_a_month": "60", "How_often": "Several times a day"}, 20.0, ()),
        ({"Minutes_each_time": "1,5 min", "People_who_do_it": "4"}, 2.1, ()),
        ({"People_who_do_it": "1001"}, None, ("People who do it: '1001' is over 1,000",)),
        ({"Minutes_each_time": "-5"}, None, ("Minutes each time: '-5' is negative",)),
        ({"Minutes_each_time": "10001"}, None, ("Minutes each time: '10001' is over 10,000",)),
        ({"Minutes_each_time": "lots"}, None, ("Minutes each time: 'lots' is not a number",)),
        ({"Minutes_each_time": "20-30"}, None, ("Minutes each time: '20-30' is not a number",)),
        ({"People_who_do_it": "0"}, None, ("People who do it: '0' is not above 0",)),
        ({"People_who_do_it": "2.5"}, None, ("People who do it: '2.5' is not a whole number",)),
        ({"People_who_do_it": ""}, None, ("People who do it: no answer",)),
        (
            {"How_often": "Several times a day"},
            None,
            ("How often: 'Several times a day' needs 'Times a month'",),
        ),
        ({"How_often": "Hourly, I guess"}, None, ("How often: 'Hourly, I guess'",)),
    ],
)
def test_numbers_from_the_answers(
    answers: dict[str, str], hours: float | None, unclear: tuple[str, ...]
) -> None:
    idea = idea_of_issue(idea_issue(7, "Idea: x", form_body(**answers)))
    assert (idea.hours_per_month, idea.unclear) == (hours, unclear)
    assert idea.numbers_unclear is bool(unclear)


def test_a_body_not_written_by_the_form_is_an_idea_with_unclear_numbers() -> None:
    idea = idea_of_issue(idea_issue(8, "Idea: free text", "We copy orders by hand. Often."))
    assert idea.hours_per_month is None and idea.numbers_unclear
    assert idea.excerpt == "We copy orders by hand. Often."
    assert idea.department is None


def test_ranking_puts_unclear_numbers_after_every_estimate() -> None:
    def idea(number: int, hours: float | None, thumbs: int) -> Idea:
        return Idea(number, "t", "", None, "new", thumbs, None, None, None, hours, (), None)

    order = ranked([idea(1, None, 99), idea(2, 3.0, 0), idea(3, 3.0, 4), idea(4, 10.0, 0)])
    assert [i.number for i in order] == [4, 3, 2, 1]


# --- autokit ideas fetch ----------------------------------------------------------------


def test_fetch_writes_every_idea_with_its_state(github: FakeGitHub, cli, tmp_path: Path) -> None:
    three_ideas(github)
    github.issues[5] = idea_issue(
        5, "Idea: Done by hand no more", form_body(), state="closed", state_reason="completed"
    )
    github.timelines[5] = [
        {"event": "labeled"},
        {
            "event": "cross-referenced",
            "source": {
                "type": "issue",
                "issue": {
                    "number": 9,
                    "html_url": f"https://github.com/{REPOSITORY}/pull/9",
                    "pull_request": {
                        "merged_at": "2026-11-20T10:00:00Z",
                        "html_url": f"https://github.com/{REPOSITORY}/pull/9",
                    },
                },
            },
        },
    ]
    github.issues[6] = idea_issue(
        6, "Idea: Not for now", form_body(), state="closed", state_reason="not_planned"
    )
    github.issues[7] = {**idea_issue(7, "a pull request", ""), "pull_request": {"url": "x"}}
    output = tmp_path / "ideas.json"
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 0, result
    assert "fetched 6 ideas (3 new, 1 claimed, 1 built, 1 closed)" in result.out
    data = json.loads(output.read_text())
    assert data["schema"] == 1 and data["skipped"] == 0 and data["repository"] == REPOSITORY
    assert data["fetched"].endswith("Z")
    ideas = {i["number"]: i for i in data["ideas"]}
    assert set(ideas) == {1, 2, 3, 4, 5, 6}
    first = ideas[1]
    assert first["hours_per_month"] == 14.0 and first["department"] == "Finance"
    assert (first["frequency_per_month"], first["minutes"], first["people"]) == (21.0, 20.0, 2)
    assert first["url"] == f"{ISSUES}/1" and first["author"] == "maria"
    assert ideas[2]["state"] == "claimed" and ideas[2]["thumbs_up"] == 5
    assert ideas[3]["url"] is None  # a javascript: URL is no link
    assert ideas[4]["numbers_unclear"] is True and ideas[4]["hours_per_month"] is None
    assert ideas[5]["state"] == "built"
    assert ideas[5]["pull_request"] == f"https://github.com/{REPOSITORY}/pull/9"
    assert ideas[6]["state"] == "closed"
    # Only closed-as-completed ideas are looked up in their timelines.
    timelines = [path for _m, path in github.requests if path.endswith("/timeline")]
    assert timelines == [f"/repos/{REPOSITORY}/issues/5/timeline"]


def test_fetch_reads_every_page(github: FakeGitHub, cli, tmp_path: Path) -> None:
    for number in range(1, 231):
        github.issues[number] = idea_issue(number, f"Idea: task {number}", form_body())
    output = tmp_path / "ideas.json"
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 0, result
    assert len(json.loads(output.read_text())["ideas"]) == 230
    listings = [path for _m, path in github.requests if path.endswith("/issues")]
    assert len(listings) == 3  # 100 + 100 + 30


def test_fetch_marks_ideas_the_repository_built(
    github: FakeGitHub, cli, make_repo, tmp_path: Path
) -> None:
    three_ideas(github)
    root = make_repo(automation_files("stock-count", idea=2))
    output = tmp_path / "ideas.json"
    result = cli("--repo", str(root), "ideas", "fetch", "--output", str(output))
    assert result.code == 0, result
    ideas = {i["number"]: i for i in json.loads(output.read_text())["ideas"]}
    assert (ideas[2]["state"], ideas[2]["automation"]) == ("built", "stock-count")
    assert ideas[1]["automation"] is None


def _good_file(github: FakeGitHub, cli, tmp_path: Path) -> tuple[Path, bytes]:
    three_ideas(github)
    output = tmp_path / "out" / "ideas.json"
    assert cli("ideas", "fetch", "--output", str(output)).code == 0
    return output, output.read_bytes()


@pytest.mark.parametrize(
    ("status", "headers", "body", "said"),
    [
        (429, {"Retry-After": "0"}, {"message": "API rate limit exceeded"}, "rate limited"),
        (403, {"Retry-After": "0"}, {"message": "API rate limit exceeded"}, "rate limited"),
        (500, {}, {"message": "boom"}, "GitHub answered with an error"),
        (404, {}, {"message": "Not Found"}, "repository example-shop/autokit not found"),
        (401, {}, {"message": "Bad credentials"}, "the token was refused"),
    ],
)
def test_a_failing_api_keeps_the_last_good_file(
    github: FakeGitHub,
    cli,
    tmp_path: Path,
    status: int,
    headers: dict[str, str],
    body: dict[str, str],
    said: str,
) -> None:
    output, good = _good_file(github, cli, tmp_path)
    github.fail_next(status, times=GitHubClient.attempts, headers=headers, **body)
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 1, result
    assert said in result.err
    assert f"kept the last good {output} (4 ideas, fetched " in result.err
    assert "Traceback" not in result.err
    assert output.read_bytes() == good
    assert [p.name for p in output.parent.iterdir()] == ["ideas.json"]  # no temporary left


def test_rate_limit_waits_as_told_then_succeeds(github: FakeGitHub, cli, tmp_path: Path) -> None:
    three_ideas(github)
    github.fail_next(429, times=2, headers={"Retry-After": "0"}, message="API rate limit exceeded")
    output = tmp_path / "ideas.json"
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 0, result
    assert len(json.loads(output.read_text())["ideas"]) == 4


@pytest.mark.parametrize(
    ("garbage", "said"),
    [
        (b"<html>rate limited</html>", "the answer is not JSON"),
        (b'{"message": "not a list"}', "the answer is not a list"),
        (b"\xff\xfe", "the answer is not JSON"),
    ],
)
def test_a_malformed_answer_keeps_the_last_good_file(
    github: FakeGitHub, cli, tmp_path: Path, garbage: bytes, said: str
) -> None:
    output, good = _good_file(github, cli, tmp_path)
    github.garbage.append(garbage)
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 1, result
    assert said in result.err and "kept the last good" in result.err
    assert output.read_bytes() == good


def test_a_failure_without_a_file_writes_none(github: FakeGitHub, cli, tmp_path: Path) -> None:
    github.fail_next(401, message="Bad credentials")
    output = tmp_path / "ideas.json"
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 1
    assert f"{output} was not written (there was none before)" in result.err
    assert not output.exists()


def _malformed(fake: FakeGitHub) -> None:
    base = {"labels": [{"name": "idea"}], "state": "open"}
    fake.issues[20] = {**base, "number": 20, "title": None, "body": "x"}
    fake.issues[21] = {**base, "number": 21, "title": "Idea: y", "body": 5}
    fake.issues[22] = {**base, "number": 22, "title": "Idea: z", "reactions": {"+1": "many"}}
    fake.issues[23] = {**base, "number": True, "title": "Idea: w"}


def test_malformed_items_are_skipped_and_counted(github: FakeGitHub, cli, tmp_path: Path) -> None:
    three_ideas(github)
    _malformed(github)
    output = tmp_path / "ideas.json"
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 0, result
    assert "skipped 4 issue(s) that are not readable ideas: #20: no title" in result.out
    assert "#21: the body is not text" in result.out and "#22: the 👍 count" in result.out
    data = json.loads(output.read_text())
    assert data["skipped"] == 4 and len(data["ideas"]) == 4


def test_nothing_readable_is_a_failure(github: FakeGitHub, cli, tmp_path: Path) -> None:
    output, good = _good_file(github, cli, tmp_path)
    github.issues.clear()
    _malformed(github)
    result = cli("ideas", "fetch", "--output", str(output))
    assert result.code == 1
    assert "GitHub listed 4 issue(s) labelled `idea` and none could be read" in result.err
    assert output.read_bytes() == good


def test_fetch_needs_a_token_and_a_repository(cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    result = cli("ideas", "fetch", "--output", str(tmp_path / "ideas.json"))
    assert result.code == 1
    assert "GITHUB_TOKEN is not set: autokit ideas fetch needs a token" in result.err
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("GITHUB_REPOSITORY", "no-slash")
    result = cli("ideas", "fetch", "--output", str(tmp_path / "ideas.json"))
    assert result.code == 1 and "not OWNER/NAME" in result.err


# --- the ideas file, read back ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"schema": 1,\n "ideas": [}', "ideas.json:2:12: not valid JSON"),
        ("[]", "ideas.json: not an ideas file"),
        ('{"schema": 2, "ideas": [], "fetched": "x"}', "ideas.json: schema: 2 is not 1"),
        ('{"schema": 1, "ideas": {}, "fetched": "x"}', "ideas.json: ideas: not a list"),
        ('{"schema": 1, "ideas": []}', "ideas.json: fetched: not a time"),
    ],
)
def test_a_broken_ideas_file_fails_the_build_naming_where(
    make_repo, cli, tmp_path: Path, text: str, said: str
) -> None:
    root = make_repo(automation_files("hello"))
    site_files(root)
    (tmp_path / "ideas.json").write_text(text)
    result = cli(
        "--repo", str(root), "catalog", "build", "--site-dir", str(tmp_path / "site"),
        "--ideas", str(tmp_path / "ideas.json"),
    )  # fmt: skip
    assert result.code == 1, result
    assert said in result.err and "autokit ideas fetch" in result.err
    assert "Traceback" not in result.err


def test_malformed_ideas_in_the_file_are_skipped_and_noted(tmp_path: Path) -> None:
    from toolkit.ideas.model import read_ideas

    good = {"number": 1, "title": "Idea: a", "state": "new", "thumbs_up": 0}
    bad = [
        {**good, "number": 2, "state": "done"},
        {**good, "number": 3, "thumbs_up": -1},
        {**good, "number": 4, "automation": "../../etc"},
        {**good, "number": 5, "hours_per_month": "many"},
        "not an idea",
    ]
    path = tmp_path / "ideas.json"
    data = {"schema": 1, "fetched": "2026-12-01T00:00:00Z", "skipped": 1, "ideas": [good, *bad]}
    path.write_text(json.dumps(data))
    found = read_ideas(path)
    assert [i.number for i in found.ideas] == [1]
    assert found.skipped == 6
    assert found.notes == [
        "ideas.json: 5 idea(s) skipped: ideas[1]: #2: state 'done' is not one of new, claimed, "
        "built, closed; ideas[2]: #3: thumbs_up is not a count; ideas[3]: #4: automation is "
        "not an automation's name"
    ]


# --- autokit new --from-idea --------------------------------------------------------------


def test_new_from_an_idea_on_github(github: FakeGitHub, cli, make_repo) -> None:
    three_ideas(github)
    root = make_repo({})
    result = cli(
        "--repo", str(root), "new", "invoice-chaser", "--template", "python",
        "--owner", "@alice", "--from-idea", "1",
    )  # fmt: skip
    assert result.code == 0, result
    data = yaml.safe_load((root / "automations/invoice-chaser/automation.yaml").read_text())
    assert data["title"] == "Chase unpaid invoices"
    assert data["summary"] == "Open the order emails 2. Copy each order into the sheet"
    assert (data["department"], data["time_saved_minutes"], data["idea"]) == ("Finance", 20, 1)
    assert cli("--repo", str(root), "validate").code == 0


def test_new_from_an_idea_in_the_file_and_options_win(
    github: FakeGitHub, cli, make_repo, tmp_path: Path
) -> None:
    output, _ = _good_file(github, cli, tmp_path)
    github.issues.clear()  # the file alone answers
    root = make_repo({})
    result = cli(
        "--repo", str(root), "new", "stock-count", "--runtime", "shell", "--owner", "@bob",
        "--from-idea", "2", "--ideas", str(output), "--title", "Count the stock",
    )  # fmt: skip
    assert result.code == 0, result
    data = yaml.safe_load((root / "automations/stock-count/automation.yaml").read_text())
    assert (data["title"], data["department"]) == ("Count the stock", "operations")
    assert (data["time_saved_minutes"], data["idea"]) == (30, 2)


def test_new_from_an_idea_with_hostile_text_stays_valid(github: FakeGitHub, cli, make_repo) -> None:
    three_ideas(github)
    root = make_repo({})
    result = cli(
        "--repo", str(root), "new", "month-end", "--runtime", "python", "--owner", "@alice",
        "--from-idea", "3", "--department", "finance",
    )  # fmt: skip
    assert result.code == 0, result
    data = yaml.safe_load((root / "automations/month-end/automation.yaml").read_text())
    assert data["title"] == f"{XSS} month-end"  # text as written: the catalog escapes it
    assert data["idea"] == 3


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("99", "--from-idea 99: issue #99 of example-shop/autokit does not exist"),
        (
            "10",
            "--from-idea 10: issue #10 of example-shop/autokit is not an idea: it has no `idea`",
        ),
        ("11", "--from-idea 11: issue #11 of example-shop/autokit is a pull request, not an idea"),
        ("0", "--from-idea 0: not an issue number"),
    ],
)
def test_new_from_an_issue_that_is_no_idea(
    github: FakeGitHub, cli, make_repo, number: str, said: str
) -> None:
    three_ideas(github)
    github.issues[10] = {**idea_issue(10, "Bug: it broke", ""), "labels": [{"name": "bug"}]}
    github.issues[11] = {**idea_issue(11, "Idea PR", ""), "pull_request": {"url": "x"}}
    root = make_repo({})
    result = cli(
        "--repo", str(root), "new", "whatever", "--runtime", "python", "--owner", "@alice",
        "--department", "ops", "--from-idea", number,
    )  # fmt: skip
    assert result.code == 1, result
    assert said in result.err
    assert not (root / "automations/whatever").exists()


def test_new_from_an_idea_not_in_the_file(github: FakeGitHub, cli, make_repo, tmp_path) -> None:
    output, _ = _good_file(github, cli, tmp_path)
    root = make_repo({})
    args = ["--repo", str(root), "new", "x-y", "--runtime", "python", "--owner", "@a"]
    result = cli(*args, "--from-idea", "42", "--ideas", str(output))
    assert result.code == 1
    assert f"--from-idea 42: {output} (fetched " in result.err and "has no idea #42" in result.err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = cli(*args, "--from-idea", "1", "--ideas", str(broken))
    assert result.code == 1 and "broken.json:1:2: not valid JSON" in result.err


def test_new_from_an_idea_without_file_or_token_says_both_ways(cli, make_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    root = make_repo({})
    result = cli(
        "--repo", str(root), "new", "x-y", "--runtime", "python", "--owner", "@a",
        "--from-idea", "1",
    )  # fmt: skip
    assert result.code == 1
    assert "--from-idea 1: no ideas file given, and GitHub cannot be asked" in result.err
    assert "pass --ideas FILE" in result.err


def test_idea_in_metadata_is_validated_at_its_line(make_repo, cli) -> None:
    root = make_repo({**automation_files("one", idea=0), **automation_files("two", idea="12")})
    result = cli("--repo", str(root), "validate")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() + result.err.splitlines() if "idea:" in line]
    assert any(
        line.startswith("automations/one/automation.yaml:") and "idea: must be at least 1" in line
        for line in lines
    ), lines
    assert any(
        "automations/two/automation.yaml:" in line and "whole number" in line for line in lines
    )
    assert all("e.g. `idea: 42`" in line for line in lines)


# --- the Ideas page -----------------------------------------------------------------------


def _autokit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`autokit` as a separate process, as people and workflows run it."""
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=dict(os.environ))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="idea-([0-9]+)"', page)


@pytest.mark.slow
def test_ideas_page_ranks_and_measures_a_built_idea(
    github: FakeGitHub, make_repo, tmp_path: Path
) -> None:
    three_ideas(github)
    root = make_repo({})
    site_files(root)
    commit_all(root, "site")
    bare_origin(root)
    new = _autokit(
        root, "new", "invoice-chaser", "--template", "python", "--owner", "@alice",
        "--from-idea", "1",
    )  # fmt: skip
    assert new.returncode == 0, new.stderr
    git(root, "add", "-A")
    maria = "--author=Maria Rossi <maria@users.noreply.github.com>"  # the idea's author
    git(root, "commit", "-q", maria, "-m", "invoice-chaser from idea 1")
    run = _autokit(root, "run", "invoice-chaser")
    assert run.returncode == 0, run.stderr
    pushed = _autokit(root, "runs", "push")
    assert pushed.returncode == 0, pushed.stderr
    assert "sent 1 run record" in pushed.stdout
    ideas = tmp_path / "ideas.json"
    fetched = _autokit(root, "ideas", "fetch", "--output", str(ideas))
    assert fetched.returncode == 0, fetched.stderr
    site = tmp_path / "site"
    built = _autokit(root, "catalog", "build", "--site-dir", str(site), "--ideas", str(ideas))
    assert built.returncode == 0, built.stderr
    page = (site / "ideas" / "index.html").read_text()
    # 14 h (built), 3 h, 2.17 h (5 👍), then the absurd one with 40 👍.
    assert _rows(page) == ["1", "3", "2", "4"]
    first = page[page.index('id="idea-1"') : page.index('id="idea-3"')]
    assert 'href="../automations/invoice-chaser/"' in first and "built" in first
    assert "14.0" in first and "measured: 0.3 h in the last 30 days" in first
    assert "claimed by bob" in page
    last = page[page.index('id="idea-4"') :]
    assert "numbers unclear" in last and "&#39;5000&#39; is over 1,000" in last
    assert f'href="{ISSUES}/1"' in page and f'href="{ISSUES}/2"' in page
    # The built idea: the estimate beside the ledger's measurement of one 20-minute run.
    table = page[page.index("ak-ideas-built") :]
    row = table[table.index('id="built-1"') : table.index("</tr>", table.index('id="built-1"'))]
    cells = [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells[1:] == ["invoice-chaser", "14.0", "0.3", "0.3", "1"]
    # Hostile issue text is text: no markup of it survives, no javascript: link is made.
    assert "<script>alert(1)" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # title, excerpt
    assert "&lt;a href=&#39;javascript:alert(5)&#39;&gt;" in page
    assert 'href="javascript:' not in page and "href='javascript:" not in page
    # The automation's page links back to its idea.
    automation = (site / "automations" / "invoice-chaser" / "index.html").read_text()
    assert f'<a href="{ISSUES}/1">#1</a>' in automation
    assert 'href="../../ideas/#idea-1"' in automation
    nav = (site / "index.html").read_text()
    assert 'href="ideas/"' in nav
    # The builder, who also had the idea: badges and measured hours on the Contributors page.
    people = (site / "contributors" / "index.html").read_text()
    row = people[people.index("Maria Rossi") :]
    row = row[: row.index("</tr>")]
    assert "First automation" in row and "Idea built" in row
    cells = [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells[-6:] == ["1", "0", "0", "0.3", "0 (0 changes)", "4 (1)"]
    assert 'an idea of <a href="https://github.com/maria">@maria</a>' in automation
    report = _autokit(
        root,
        "report",
        "--by",
        "person",
        "--days",
        "99999",
        "--ideas",
        str(ideas),
        "--format",
        "json",
    )
    assert report.returncode == 0, report.stderr
    credit = {g["group"]: g for g in json.loads(report.stdout)["groups"]}["Maria Rossi"]
    assert (credit["ideas_submitted"], credit["ideas_built"]) == (4, 1)
    assert "idea-built" in credit["badges"] and credit["authored"] == ["invoice-chaser"]


@pytest.mark.slow
def test_ideas_page_without_data_says_how_to_turn_it_on(make_repo, tmp_path: Path) -> None:
    root = make_repo({})
    build_tree(root, automation_files("hello"))
    site_files(root)
    commit_all(root, "site")
    site = tmp_path / "site"
    missing = tmp_path / "nowhere" / "ideas.json"
    for extra in ([], ["--ideas", str(missing)]):
        built = _autokit(root, "catalog", "build", "--site-dir", str(site), *extra)
        assert built.returncode == 0, built.stderr
        page = (site / "ideas" / "index.html").read_text()
        assert "No ideas shown yet" in page
        assert "<code>autokit ideas fetch --output ideas.json</code>" in page
        assert "permissions: issues: read" in page
        assert (
            'href="https://github.com/example-shop/autokit/issues/new?template=automation-idea.yml"'
            in page
        )
    assert f"No ideas file at `{missing}`" in built.stderr
    assert git(root, "status", "--porcelain") == ""  # the build wrote nothing in the clone
