"""Loading `automation.yaml`: reading, checking, and findings with their line numbers.

`check_file` is the one way in: it reads the file, runs the content checks (or takes
their verdict from a cache keyed by the content), always runs the folder checks, and
returns every finding together with the automation when there are none.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, refuse_links
from toolkit.findings import ERROR, Finding
from toolkit.metadata.model import Automation, automation_from_data
from toolkit.metadata.problems import Problem, field_label
from toolkit.metadata.schema import CHECK_ID, METADATA_FILE
from toolkit.metadata.shape import plausible
from toolkit.metadata.validate import content_problems, filesystem_problems
from toolkit.metadata.yamlfile import LineIndex, YamlProblem, decode, parse_mapping, read_bytes

# The verdict on a file's content: its data (None when it cannot be parsed) and findings.
ContentVerdict = tuple[dict[str, Any] | None, list[Finding]]


def load_automation(path: Path, root: Path | None = None) -> Automation:
    """Load and validate one `automation.yaml` (or the folder holding it).

    Raises `ToolkitError` listing every problem, each with file, line, column, field and
    a hint.
    """
    findings, automation = check_file(path, root)
    if automation is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(f"invalid metadata:\n{lines}")
    return automation


def check_file(
    path: Path,
    root: Path | None = None,
    cache: MutableMapping[str, ContentVerdict] | None = None,
    raw: bytes | None = None,
) -> tuple[list[Finding], Automation | None]:
    """Validate one metadata file (or the folder holding it).

    Returns every finding, and the automation when there are none. With `cache` (see
    `toolkit.metadata.cache`), the content checks of unchanged files are skipped; the
    file-system checks always run. `raw` is the file's content when the caller has
    already read it.
    """
    path = path / METADATA_FILE if path.name != METADATA_FILE and path.is_dir() else path
    folder = path.parent
    root = root or folder.parent.parent
    display = display_path(path, root)
    try:
        refuse_links(path, root)  # also when `raw` was read by the caller
        raw = read_bytes(path) if raw is None else raw
    except LinkedFile as error:
        return [Finding(display, None, None, CHECK_ID, ERROR, error.message, LINK_HINT)], None
    except YamlProblem as problem:
        return [yaml_finding(display, problem)], None
    except OSError as error:
        message = f"cannot be read: {error.strerror}"
        return [Finding(display, None, None, CHECK_ID, ERROR, message, "check the file")], None
    data, findings = _content_verdict(raw, display, cache)
    if data is None:
        return list(findings), None
    try:
        folder_problems = filesystem_problems(data, folder)
    except OSError as error:
        folder_problems = [Problem(("entrypoint",), f"cannot be checked: {error}", None)]
    findings = list(findings) + to_findings(folder_problems, decode(raw), display)
    return findings, (None if findings else automation_from_data(data, folder))


def _content_verdict(
    raw: bytes, display: str, cache: MutableMapping[str, ContentVerdict] | None
) -> ContentVerdict:
    if cache is None:
        return check_content(raw, display)
    key = content_key(display, raw)
    verdict = cache.get(key)
    if verdict is None or not plausible(*verdict):  # a wrong entry: check the file again
        verdict = cache[key] = check_content(raw, display)
    return verdict


def content_key(display: str, raw: bytes) -> str:
    """The cache key of a file's content checks: its path and a hash of its bytes."""
    return f"{display}\0{hashlib.blake2b(raw, digest_size=16).hexdigest()}"


def check_content(raw: bytes, display: str) -> ContentVerdict:
    """Parse and check a file's content: the data (None if unreadable) and its findings."""
    try:
        text = decode(raw)
        data = parse_mapping(text)
    except YamlProblem as problem:
        return None, [yaml_finding(display, problem)]
    return data, to_findings(content_problems(data), text, display)


def to_findings(problems: Sequence[Problem], text: str | None, display_path: str) -> list[Finding]:
    """Turn problems into findings, looking up line numbers only now that there are some."""
    if not problems:
        return []
    index = LineIndex(text) if text is not None else None
    findings = []
    for problem in problems:
        position = index.locate(problem.keys, key=problem.at_key) if index else None
        findings.append(
            Finding(
                path=display_path,
                line=position.line if position else 1,
                column=position.column if position else 1,
                check=CHECK_ID,
                severity=ERROR,
                message=problem.message,
                hint=problem.hint,
                field=field_label(problem.keys) or None,
            )
        )
    return findings


def yaml_finding(display: str, problem: YamlProblem) -> Finding:
    """A YAML problem as a metadata-schema finding at its line (library.yaml uses it too)."""
    return Finding(
        display,
        problem.line,
        problem.column,
        CHECK_ID,
        ERROR,
        problem.message,
        problem.hint,
        problem.field,
    )


def display_path(path: Path, root: Path) -> str:
    """`path` relative to `root`, POSIX style, as findings show it."""
    text, prefix = str(path), str(root).rstrip(os.sep) + os.sep
    if path.is_absolute() and text.startswith(prefix):
        # A string operation: resolve() would cost a stat per path component.
        return text[len(prefix) :].replace(os.sep, "/")
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
