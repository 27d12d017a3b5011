"""Ideas as records: made from GitHub issues, kept in the ideas file, ranked.

The ideas file (`autokit ideas fetch --output ideas.json`) is JSON:
`{"schema": 1, "fetched": ISO time, "repository": "owner/name", "skipped": N,
"ideas": [...]}`. It is written whole or not at all (a temporary file renamed into place),
so a failed fetch leaves the last good file as it was. Whoever reads it checks it again:
every idea's fields are typed and bounded here, and a malformed one is skipped and counted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.ideas import form

SCHEMA = 1
STATES = ("new", "claimed", "built", "closed")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TITLE = 256  # characters GitHub allows in an issue title
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
_SLUG = re.compile(r"[a-z][a-z0-9-]{1,62}")
_HTTPS = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~/%+-]*")


class Malformed(ValueError):
    """An issue, or an idea of the file, that cannot be read as an idea; says why."""


@dataclass(frozen=True)
class Idea:
    number: int
    title: str
    excerpt: str
    author: str | None
    state: str  # one of STATES
    thumbs_up: int
    frequency_per_month: float | None
    minutes: float | None
    people: int | None
    hours_per_month: float | None  # None: the numbers are unclear
    unclear: tuple[str, ...]  # why, one phrase per answer not taken
    url: str | None  # the issue on GitHub
    automation: str | None = None  # the automation built from it, when known
    department: str | None = None
    pull_request: str | None = None  # the merged pull request that closed it, when known
    assignees: tuple[str, ...] = ()
    created: str | None = None

    @property
    def numbers_unclear(self) -> bool:
        return bool(self.unclear)


@dataclass
class IdeasFile:
    fetched: str
    repository: str | None
    ideas: list[Idea]
    skipped: int = 0  # issues left out because they could not be read
    notes: list[str] = field(default_factory=list)  # what reading the file found


def ranked(ideas: list[Idea]) -> list[Idea]:
    """Most estimated hours a month first, then most 👍; ideas whose numbers are unclear
    come after every estimate, by 👍."""

    def key(idea: Idea) -> tuple[int, float, int, int]:
        hours = idea.hours_per_month
        return (hours is None, -(hours or 0.0), -idea.thumbs_up, idea.number)

    return sorted(ideas, key=key)


def built_ideas(automations: Iterable[tuple[str, int | None]]) -> dict[int, str]:
    """Idea number -> the automation recording `idea: N` (the first by name wins)."""
    built: dict[int, str] = {}
    for name, idea in sorted(automations):
        if idea is not None:
            built.setdefault(idea, name)
    return built


def with_built(ideas: list[Idea], built: Mapping[int, str]) -> list[Idea]:
    """The ideas with what the repository tells: an automation recording `idea: N` built N."""
    return [
        replace(idea, state="built", automation=built[idea.number])
        if idea.number in built
        else idea
        for idea in ideas
    ]


# From GitHub's issues


def idea_of_issue(issue: object, pull_request: str | None = None) -> Idea:
    """An idea from one item of GitHub's issues list; `Malformed` says what is wrong."""
    if not isinstance(issue, dict):
        raise Malformed("not an object")
    number = _number(issue.get("number"))
    title = issue.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Malformed(f"#{number}: no title")
    body = issue.get("body") or ""
    if not isinstance(body, str):
        raise Malformed(f"#{number}: the body is not text")
    if issue.get("state") not in ("open", "closed"):
        raise Malformed(f"#{number}: state is neither open nor closed")
    answers = form.sections(body)
    found = form.numbers(answers)
    assignees = tuple(_logins(issue.get("assignees"), number))
    return Idea(
        number=number,
        title=_line(title, MAX_TITLE),
        excerpt=form.excerpt(answers, body),
        author=_login(issue.get("user")),
        state=_state(issue, assignees, pull_request),
        thumbs_up=_thumbs_up(issue.get("reactions"), number),
        frequency_per_month=found.per_month,
        minutes=found.minutes,
        people=found.people,
        hours_per_month=found.hours_per_month,
        unclear=found.unclear,
        url=_https(issue.get("html_url")),
        department=form.department(answers),
        pull_request=pull_request,
        assignees=assignees,
        created=_text(issue.get("created_at"), 40),
    )


def _state(issue: dict[str, Any], assignees: tuple[str, ...], pull_request: str | None) -> str:
    if issue["state"] == "open":
        return "claimed" if assignees else "new"
    completed = issue.get("state_reason") in (None, "completed")
    return "built" if completed and pull_request else "closed"


def _number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Malformed("no issue number")
    return value


def _thumbs_up(reactions: object, number: int) -> int:
    if reactions is None:
        return 0
    count = reactions.get("+1", 0) if isinstance(reactions, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise Malformed(f"#{number}: the 👍 count is not a number")
    return count


def _logins(people: object, number: int) -> list[str]:
    if people is None:
        return []
    if not isinstance(people, list):
        raise Malformed(f"#{number}: assignees is not a list")
    return [login for person in people[:50] if (login := _login(person))]


def _login(person: object) -> str | None:
    login = person.get("login") if isinstance(person, dict) else None
    return login if isinstance(login, str) and _LOGIN.fullmatch(login) else None


def _https(url: object) -> str | None:
    return url if isinstance(url, str) and len(url) < 500 and _HTTPS.fullmatch(url) else None


def _line(text: str, limit: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _text(value: object, limit: int) -> str | None:
    return _line(value, limit) if isinstance(value, str) and value.strip() else None


# The ideas file


def write_ideas(path: Path, ideas: IdeasFile) -> None:
    """Write the file whole, or leave what was there: a temporary file, renamed into place."""
    data = {
        "schema": SCHEMA,
        "fetched": ideas.fetched,
        "repository": ideas.repository,
        "skipped": ideas.skipped,
        "ideas": [_jsonable(idea) for idea in ideas.ideas],
    }
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _jsonable(idea: Idea) -> dict[str, Any]:
    data = asdict(idea)
    data["numbers_unclear"] = idea.numbers_unclear
    data["unclear"] = list(idea.unclear)
    data["assignees"] = list(idea.assignees)
    return data


def read_ideas(path: Path) -> IdeasFile:
    """The ideas file at `path`; a file that is not one is a `ToolkitError` naming where."""
    hint = "fetch it again: autokit ideas fetch --output " + path.name
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ToolkitError(f"{path} does not exist", hint) from None
    except OSError as error:
        raise ToolkitError(f"{path} cannot be read: {error.strerror}", hint) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ToolkitError(f"{path} is over {MAX_FILE_BYTES // 2**20} MB", hint)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ToolkitError(f"{path} is not UTF-8 text", hint) from None
    except json.JSONDecodeError as error:
        where = f"{path}:{error.lineno}:{error.colno}"
        raise ToolkitError(f"{where}: not valid JSON ({error.msg})", hint) from None
    return _ideas_file(data, path, hint)


def _ideas_file(data: object, path: Path, hint: str) -> IdeasFile:
    if not isinstance(data, dict):
        raise ToolkitError(f"{path}: not an ideas file (a JSON object)", hint)
    if data.get("schema") != SCHEMA:
        raise ToolkitError(
            f"{path}: schema: {data.get('schema')!r} is not {SCHEMA}",
            "this autokit reads ideas files of schema 1; " + hint,
        )
    items = data.get("ideas")
    if not isinstance(items, list):
        raise ToolkitError(f"{path}: ideas: not a list", hint)
    fetched = _text(data.get("fetched"), 40)
    if fetched is None:
        raise ToolkitError(f"{path}: fetched: not a time", hint)
    ideas, bad = [], []
    for index, item in enumerate(items):
        try:
            ideas.append(idea_of_file(item))
        except Malformed as why:
            bad.append(f"ideas[{index}]: {why}")
    notes = []
    if bad:
        notes.append(f"{path.name}: {len(bad)} idea(s) skipped: {'; '.join(bad[:3])}")
    skipped = data.get("skipped")
    repository = _text(data.get("repository"), 140)
    count = skipped if isinstance(skipped, int) and not isinstance(skipped, bool) else 0
    return IdeasFile(fetched, repository, ideas, max(count, 0) + len(bad), notes)


def idea_of_file(item: object) -> Idea:
    """One idea as the file holds it, every field checked."""
    if not isinstance(item, dict):
        raise Malformed("not an object")
    number = _number(item.get("number"))
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Malformed(f"#{number}: no title")
    state = item.get("state")
    if state not in STATES:
        raise Malformed(f"#{number}: state {state!r} is not one of {', '.join(STATES)}")
    automation = item.get("automation")
    if automation is not None and not (isinstance(automation, str) and _SLUG.fullmatch(automation)):
        raise Malformed(f"#{number}: automation is not an automation's name")
    unclear, assignees = item.get("unclear") or [], item.get("assignees") or []
    if not isinstance(unclear, list) or not isinstance(assignees, list):
        raise Malformed(f"#{number}: unclear or assignees is not a list")
    return Idea(
        number=number,
        title=_line(title, MAX_TITLE),
        excerpt=_text(item.get("excerpt"), form.EXCERPT) or "",
        author=_login({"login": item.get("author")}),
        state=state,
        thumbs_up=_count(item.get("thumbs_up"), number, "thumbs_up"),
        frequency_per_month=_figure(item.get("frequency_per_month"), number, "frequency"),
        minutes=_figure(item.get("minutes"), number, "minutes"),
        people=_whole(item.get("people"), number),
        hours_per_month=_figure(item.get("hours_per_month"), number, "hours_per_month"),
        unclear=tuple(str(u)[:200] for u in unclear[:10]),
        url=_https(item.get("url")),
        automation=automation,
        department=_text(item.get("department"), 60),
        pull_request=_https(item.get("pull_request")),
        assignees=tuple(_logins([{"login": a} for a in assignees], number)),
        created=_text(item.get("created"), 40),
    )


def _count(value: object, number: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"#{number}: {name} is not a count")
    return value


def _figure(value: object, number: int, name: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1e9:
        raise Malformed(f"#{number}: {name} is not a number")
    return float(value)


def _whole(value: object, number: int) -> int | None:
    if value is None:
        return None
    return _count(value, number, "people")
