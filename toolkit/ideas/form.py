"""The idea form's answers, read out of an issue body, and the numbers an estimate needs.

GitHub writes an issue form's answers into the issue body as one `### <label>` section per
field, the answer below it (`_No response_` for a field left empty). Anyone can open an
issue with any body, so nothing here trusts the layout: a missing section is an empty
answer, and numbers that make no sense leave the idea out of the ranking ("numbers
unclear") instead of putting it first.

The labels are the form's (`.github/ISSUE_TEMPLATE/automation-idea.yml`); a test keeps
them in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORM = "automation-idea.yml"
LABEL = "idea"  # the label the form gives every issue it opens

PROCESS = "The process"
WHO = "Who does it now"
DEPARTMENT = "Department"
FREQUENCY = "How often"
TIMES_A_MONTH = "Times a month"
MINUTES = "Minutes each time"
PEOPLE = "People who do it"
NO_RESPONSE = "_No response_"

WORKDAYS_PER_MONTH = 21.0
WEEKS_PER_MONTH = 52 / 12
# The dropdown's answers -> times a month; None: only "Times a month" can tell.
FREQUENCIES: dict[str, float | None] = {
    "Several times a day": None,
    "Daily": WORKDAYS_PER_MONTH,
    "Weekly": WEEKS_PER_MONTH,
    "Monthly": 1.0,
    "Quarterly or less": 1 / 3,
    "When something happens (on demand)": None,
}

MAX_MINUTES = 10_000.0
MAX_PEOPLE = 1_000
MAX_TIMES_A_MONTH = 10_000.0
MAX_BODY = 65_536  # characters: GitHub's own limit of an issue body
EXCERPT = 280  # characters of the process shown on the Ideas page

_NUMBER = re.compile(r"[0-9]{1,9}(?:[.,][0-9]{1,6})?")


def sections(body: str) -> dict[str, str]:
    """Each `### Label` section of an issue body: label -> its answer (stripped; empty
    for `_No response_`). Plain line work, no pattern over the whole text."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body[:MAX_BODY].replace("\r\n", "\n").split("\n"):
        if line.startswith("### "):
            current = found.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(line)
    answers = {label: "\n".join(lines).strip() for label, lines in found.items()}
    return {label: "" if text == NO_RESPONSE else text for label, text in answers.items()}


@dataclass(frozen=True)
class Numbers:
    """What an idea's answers say about the time it takes, and what made no sense."""

    per_month: float | None  # times the task is done a month
    minutes: float | None  # minutes each time
    people: int | None  # people who each do it
    unclear: tuple[str, ...]  # why an answer was not taken, one phrase each

    @property
    def hours_per_month(self) -> float | None:
        """Times a month x minutes x people / 60, when every number is clear."""
        if self.unclear or None in (self.per_month, self.minutes, self.people):
            return None
        assert self.per_month is not None and self.minutes is not None
        assert self.people is not None
        return round(self.per_month * self.minutes * self.people / 60, 2)


def numbers(answers: dict[str, str]) -> Numbers:
    unclear: list[str] = []
    minutes = _bounded(answers.get(MINUTES, ""), MINUTES, MAX_MINUTES, unclear, zero_ok=True)
    people_value = _bounded(answers.get(PEOPLE, ""), PEOPLE, MAX_PEOPLE, unclear, zero_ok=False)
    people = None
    if people_value is not None and people_value != int(people_value):
        unclear.append(f"{PEOPLE}: {_shown(answers[PEOPLE])} is not a whole number")
    elif people_value is not None:
        people = int(people_value)
    return Numbers(_per_month(answers, unclear), minutes, people, tuple(unclear))


def _per_month(answers: dict[str, str], unclear: list[str]) -> float | None:
    """Times a month: the "Times a month" answer when given, else the dropdown's."""
    given = answers.get(TIMES_A_MONTH, "")
    if given:
        return _bounded(given, TIMES_A_MONTH, MAX_TIMES_A_MONTH, unclear, zero_ok=False)
    choice = answers.get(FREQUENCY, "")
    if choice not in FREQUENCIES:
        unclear.append(f"{FREQUENCY}: {_shown(choice) if choice else 'no answer'}")
        return None
    per_month = FREQUENCIES[choice]
    if per_month is None:
        unclear.append(f"{FREQUENCY}: '{choice}' needs '{TIMES_A_MONTH}'")
    return per_month


def _bounded(
    text: str, label: str, limit: float, unclear: list[str], *, zero_ok: bool
) -> float | None:
    """A number from an answer such as `20`, `1.5` or `20 minutes`, within 0..limit."""
    if not text:
        unclear.append(f"{label}: no answer")
        return None
    value = parse_number(text)
    if value is None and text.strip().startswith("-"):
        unclear.append(f"{label}: {_shown(text)} is negative")
    elif value is None:
        unclear.append(f"{label}: {_shown(text)} is not a number")
    elif value > limit:
        unclear.append(f"{label}: {_shown(text)} is over {limit:,.0f}")
    elif value == 0 and not zero_ok:
        unclear.append(f"{label}: {_shown(text)} is not above 0")
    else:
        return value
    return None


def parse_number(text: str) -> float | None:
    """The number an answer gives (`20`, `1,5`, `20 minutes`, `~ 20`), else None; a minus
    sign or two numbers (`20-30`) make it no number."""
    words = text.strip().lower().lstrip("~").strip().split()
    if not words or len(words) > 2 or not _NUMBER.fullmatch(words[0]):
        return None
    if len(words) == 2 and words[1] not in ("min", "mins", "minutes", "people", "times", "x"):
        return None
    return float(words[0].replace(",", "."))


def _shown(text: str) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= 40 else one[:39] + "…")


def department(answers: dict[str, str]) -> str | None:
    """The "Department" answer, else what follows the last comma of "Who does it now"
    (the form's placeholder reads "@maria, operations")."""
    text = answers.get(DEPARTMENT, "").strip()
    if not text:
        who = answers.get(WHO, "")
        text = who.rsplit(",", 1)[1].strip() if "," in who else ""
    text = " ".join(text.split())
    return text[:60] or None


def excerpt(answers: dict[str, str], body: str) -> str:
    """The start of "The process" (else of the body), as plain one-line text."""
    text = answers.get(PROCESS) or body[:MAX_BODY]
    one = " ".join(text.split())
    return one if len(one) <= EXCERPT else one[: EXCERPT - 1].rstrip() + "…"
