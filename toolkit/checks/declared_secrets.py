"""Python code reads only the environment variables it declares.

`autokit run` gives an automation an environment holding only an allowlist (PATH, HOME,
LANG, ...), the `AUTOKIT_*` variables autokit sets, and the secrets declared under
`secrets:` in `automation.yaml`. A name read with `os.environ["X"]`,
`os.environ.get("X")`, `os.getenv("X")` (or `environ`/`getenv` imported from `os`) that
is none of these is always missing at run time, and an undeclared secret is invisible to
reviewers, to the catalog and to masking in logs. The automation's Python files outside
`tests/` are read (parsed, never run).

Fix: add the variable under `secrets:` with a description, e.g.
`secrets: [{name: SMTP_PASSWORD, description: "Mailbox password for orders@"}]`; or, for
a harmless setting, list it in `env_allowlist` of `[tool.autokit]`. A name computed at
run time cannot be checked and is reported as a warning: use a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.findings import ERROR, WARNING, Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

ALLOWLIST = frozenset(
    {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "PWD",
        "PYTHONPATH",
        "PYTHONIOENCODING",
        "NO_COLOR",
    }
)
ALLOWED_PREFIX = "AUTOKIT_"


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        allowed = declared(ctx.data(name)) | ALLOWLIST | set(ctx.config.env_allowlist)
        for path in _python_files(ctx, name):
            findings += _check_file(ctx, path, allowed)
    return findings


def declared(data: dict[str, Any] | None) -> set[str]:
    """The secret names in metadata, read loosely: a schema error elsewhere in the file
    must not hide an undeclared secret from the reviewer."""
    secrets = (data or {}).get("secrets")
    if not isinstance(secrets, list):
        return set()
    return {s["name"] for s in secrets if isinstance(s, dict) and isinstance(s.get("name"), str)}


def _python_files(ctx: PolicyContext, name: str) -> list[Path]:
    folder = ctx.folder(name)
    return [
        p
        for p in ctx.every_file(name)
        if p.suffix == ".py" and p.relative_to(folder).parts[0] != "tests"
    ]


def _check_file(ctx: PolicyContext, path: Path, allowed: set[str]) -> list[Finding]:
    display = ctx.relative(path)
    source = ctx.read(path)
    if source is None:
        return []  # a link or an oversized file: the symlinks and file-size checks say so
    try:
        tree = ast.parse(source, filename=display)
    except (SyntaxError, ValueError) as error:
        return [
            ctx.finding(
                display,
                f"cannot be parsed: {getattr(error, 'msg', error)}",
                "fix the syntax (and save the file as UTF-8)",
                line=getattr(error, "lineno", None),
            )
        ]
    findings = []
    for node, name in environment_reads(tree):
        problem = _read_problem(name, allowed)
        if problem is not None:
            severity, message, hint = problem
            line, column = node.lineno, node.col_offset + 1
            findings.append(
                ctx.finding(display, message, hint, line=line, column=column, severity=severity)
            )
    return findings


def _read_problem(name: str | None, allowed: set[str]) -> tuple[str, str, str] | None:
    """(severity, message, hint) for reading variable `name` (None: computed), if wrong."""
    if name is None:
        return (
            WARNING,
            "reads an environment variable whose name is computed",
            "use a literal name so it can be checked",
        )
    if name in allowed or name.startswith(ALLOWED_PREFIX):
        return None
    return (
        ERROR,
        f"reads ${name}, which is not a declared secret",
        f"declare {name} under `secrets:` in automation.yaml",
    )


def environment_reads(tree: ast.AST) -> Iterator[tuple[ast.Subscript | ast.Call, str | None]]:
    """(node, variable name or None when not a literal) for every environment read."""
    for node in ast.walk(tree):
        argument: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            argument = node.slice
        elif isinstance(node, ast.Call) and node.args and _is_getter(node.func):
            argument = node.args[0]
        if argument is not None:
            assert isinstance(node, ast.Subscript | ast.Call)
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            yield node, argument.value if literal else None  # type: ignore[attr-defined]


def _is_environ(node: ast.expr) -> bool:
    """`os.environ` or a bare `environ` (from `from os import environ`)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_getter(func: ast.expr) -> bool:
    """`os.environ.get`, `environ.get`, `os.getenv` or a bare `getenv`."""
    if isinstance(func, ast.Attribute):
        if func.attr == "get" and _is_environ(func.value):
            return True
        return func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os"
    return isinstance(func, ast.Name) and func.id == "getenv"
