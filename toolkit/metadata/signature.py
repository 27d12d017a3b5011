"""The entrypoint's `main()` against the declared inputs, read with `ast`, never imported.

`autokit run` calls `main(**inputs)`, so a declared input `main()` has no parameter for,
or a parameter without a default that no input fills, fails only at run time with a
`TypeError`. `signature_findings` says so before: an input `main()` cannot accept is an
error at the input's line in `automation.yaml`, a required parameter no input fills is an
error at the `def` line, and a parameter default that differs from the declared one is a
warning (the declared default is what `main()` receives).

Reading a file is the slow part, so `read_main` keeps only what the comparison needs (the
parameters, their kinds and literal defaults) and its verdict is cached by the file's
content, like the metadata's. Only `validate` and `policy` use this module: `ast` stays
off the `autokit run` path.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from toolkit.findings import ERROR, WARNING, Finding
from toolkit.metadata.load import ContentVerdict, content_key, display_path
from toolkit.metadata.model import Automation, InputSpec
from toolkit.metadata.schema import METADATA_FILE
from toolkit.metadata.yamlfile import LineIndex, YamlProblem, decode
from toolkit.suggest import did_you_mean

CHECK_ID = "entrypoint-signature"

# Parameter kinds, as stored in a summary.
POSITIONAL_ONLY = "positional-only"
POSITIONAL = "positional"
KEYWORD_ONLY = "keyword-only"
KINDS = (POSITIONAL_ONLY, POSITIONAL, KEYWORD_ONLY)

# A summary of `main()`: {"line": def line, "kwargs": bool, "params": [[name, kind,
# has_default, literal default or None, default is literal], ...]}. JSON can hold it, so
# the metadata cache's format can keep it.
Summary = dict[str, Any]

_LITERALS = (str, int, float, bool, type(None))


def read_main(raw: bytes, display: str) -> ContentVerdict:
    """What `main()` in an entrypoint's source accepts, and the findings on the file alone.

    The summary is None when there is nothing to compare: the file does not parse, has
    no `main`, or binds it in a way `ast` cannot follow (an import, a decorator, inside
    an `if`).
    """
    try:
        module = ast.parse(raw, filename=display)
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        message = f"cannot be read as Python{where}: {error.msg}"
        hint = "fix the syntax; `python -m py_compile` on the file shows the same error"
        return None, [_finding(display, error.lineno, message, hint, column=error.offset)]
    except (ValueError, RecursionError, MemoryError) as error:  # a NUL byte, deep nesting
        message = f"cannot be read as Python: {error}"
        return None, [_finding(display, 1, message, "save the file as plain UTF-8 Python")]
    return _summary(module, display)


def _summary(module: ast.Module, display: str) -> ContentVerdict:
    bindings = [node for node in module.body if _binds_main(node)]
    if not bindings:
        hint = "add `def main(**inputs):` that does the work"
        return None, [_finding(display, 1, "defines no function `main`", hint)]
    findings = []
    last = bindings[-1]
    definitions = [n for n in bindings if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(definitions) > 1 and definitions[-1] is last:
        others = ", ".join(str(n.lineno) for n in definitions[:-1])
        message = f"`main` is defined more than once (also at line {others}); the last one is used"
        hint = "remove or rename the other definitions"
        findings.append(_finding(display, last.lineno, message, hint, severity=WARNING))
    if isinstance(last, ast.AsyncFunctionDef):
        message = "`main` is `async def`; autokit calls it without awaiting it, so it never runs"
        hint = "make it a plain `def main(...)` that calls `asyncio.run(...)` inside"
        findings.append(_finding(display, last.lineno, message, hint))
    arguments = _arguments(last)
    if arguments is None:
        return None, findings
    return {"line": last.lineno, **_parameters(arguments)}, findings


def _binds_main(node: ast.stmt) -> bool:
    """Whether a top-level statement binds the name `main` (then the last one counts)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == "main"
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [alias.asname or alias.name.split(".")[0] for alias in node.names]
        return "main" in names or "*" in names
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(_stores_main(target) for target in targets)
    # if/try/with/for blocks: whether they bind it depends on how they run.
    return any(isinstance(child, ast.stmt) and _binds_main(child) for child in _blocks(node))


def _stores_main(target: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "main" for n in ast.walk(target))


def _blocks(node: ast.stmt) -> Iterable[ast.AST]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return ()
    return ast.iter_child_nodes(node)


def _arguments(node: ast.stmt) -> ast.arguments | None:
    """The parameters of the binding that counts, when `ast` can know them."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None if node.decorator_list else node.args  # a decorator may change them
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.Lambda):
            return value.args
    return None  # an import, a class, a conditional definition


def _parameters(arguments: ast.arguments) -> dict[str, Any]:
    positional = [*arguments.posonlyargs, *arguments.args]
    # Defaults belong to the last positional parameters; keyword-only ones have their own.
    padded: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    padded += arguments.defaults
    kinds = [POSITIONAL_ONLY] * len(arguments.posonlyargs) + [POSITIONAL] * len(arguments.args)
    rows = [
        _parameter(arg.arg, kind, default)
        for arg, kind, default in zip(positional, kinds, padded, strict=True)
    ]
    rows += [
        _parameter(arg.arg, KEYWORD_ONLY, default)
        for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    return {"kwargs": arguments.kwarg is not None, "params": rows}


def _parameter(name: str, kind: str, default: ast.expr | None) -> list[object]:
    if default is None:
        return [name, kind, False, None, False]
    try:
        value = ast.literal_eval(default)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return [name, kind, True, None, False]  # Path("x"), date(...), a constant's name
    if not isinstance(value, _LITERALS):
        return [name, kind, True, None, False]
    return [name, kind, True, value, True]


def plausible_summary(summary: object) -> bool:
    """Whether a cached summary has the shape `read_main` gives (a wrong one is redone)."""
    if summary is None:
        return True
    if not isinstance(summary, dict) or not isinstance(summary.get("line"), int):
        return False
    params = summary.get("params")
    if not isinstance(summary.get("kwargs"), bool) or not isinstance(params, list):
        return False
    return all(
        isinstance(row, list)
        and len(row) == 5
        and isinstance(row[0], str)
        and row[1] in KINDS
        and isinstance(row[2], bool)
        and isinstance(row[4], bool)
        for row in params
    )


# -- comparing with the declared inputs ------------------------------------------------


def signature_findings(
    root: Path, automations: Iterable[Automation], *, every: bool = True
) -> list[Finding]:
    """Every finding on the python automations' `main()` against their declared inputs.

    Verdicts on entrypoints are cached by content; `every` says the automations are all
    of the repository's, so the cache keeps only theirs.
    """
    from toolkit.metadata.cache import cache_for

    cache = cache_for(root, "signatures")
    findings: list[Finding] = []
    for automation in automations:
        if automation.runtime == "python":
            findings += automation_findings(root, automation, cache)
    cache.save(prune=every)
    return findings


def automation_findings(
    root: Path, automation: Automation, cache: MutableMapping[str, ContentVerdict] | None = None
) -> list[Finding]:
    path = automation.entrypoint_path
    display = display_path(path, root)
    try:
        raw = path.read_bytes()
    except OSError:
        return []  # the metadata check reports a missing or unreadable entrypoint
    summary, findings = _verdict(raw, display, cache)
    if summary is None:
        return list(findings)
    problems = _mismatches(summary, automation.inputs, display)
    if not problems:
        return list(findings)
    metadata = automation.folder / METADATA_FILE
    return list(findings) + _located(problems, summary, metadata, root, display)


def _verdict(
    raw: bytes, display: str, cache: MutableMapping[str, ContentVerdict] | None
) -> ContentVerdict:
    if cache is None:
        return read_main(raw, display)
    key = content_key(display, raw)
    verdict = cache.get(key)
    if verdict is None or not plausible_summary(verdict[0]):
        verdict = cache[key] = read_main(raw, display)
    return verdict


# A mismatch: the keys in automation.yaml it is at (None: at the def line), severity,
# message, hint.
Mismatch = tuple[tuple[str, ...] | None, str, str, str]


def _mismatches(summary: Summary, inputs: Mapping[str, InputSpec], display: str) -> list[Mismatch]:
    params = {row[0]: row for row in summary["params"]}
    where = f"{display}:{summary['line']}"
    found: list[Mismatch] = []
    for name, spec in inputs.items():
        row = params.get(name)
        if row is None:
            if not summary["kwargs"]:
                found.append(_unaccepted(name, params, where))
        elif row[1] == POSITIONAL_ONLY:
            message = f"main() ({where}) takes `{name}` positional-only, so it cannot be passed"
            hint = f"autokit passes inputs by name: move `{name}` after the `/` in main()"
            found.append((("inputs", name), ERROR, message, hint))
        else:
            found += _compare(spec, row, where)
    for name, kind, has_default, _value, _literal in summary["params"]:
        if not has_default and name not in inputs:
            found.append((None, ERROR, *_required_undeclared(name, kind)))
    return found


def _unaccepted(name: str, params: Mapping[str, list[Any]], where: str) -> Mismatch:
    accepted = [n for n, row in params.items() if row[1] != POSITIONAL_ONLY]
    message = f"main() ({where}) has no parameter `{name}`, so a run fails with a TypeError"
    shown = ", ".join(accepted) or "none"
    fallback = f"its parameters: {shown}; rename the input or the parameter, or add `**inputs`"
    hint = did_you_mean(name, accepted, fallback)
    return (("inputs", name), ERROR, message, hint)


def _required_undeclared(name: str, kind: str) -> tuple[str, str]:
    if kind == POSITIONAL_ONLY:
        message = f"main() requires `{name}` positional-only, which autokit cannot pass"
        hint = f"autokit passes inputs by name: move `{name}` after the `/` and declare it"
        return message, hint
    message = f"main() requires `{name}`, which is not a declared input"
    hint = f"declare `{name}` under `inputs` in {METADATA_FILE}, or give it a default"
    return message, hint


def _compare(spec: InputSpec, row: list[Any], where: str) -> list[Mismatch]:
    name, _kind, has_default, value, literal = row
    if not has_default and not spec.required and spec.default is None:
        message = (
            f"is optional with no default, but main() ({where}) requires `{name}`: "
            "a run without it fails"
        )
        hint = "mark it `required: true`, give it a `default`, or give the parameter a default"
        return [(("inputs", name), ERROR, message, hint)]
    if spec.default is None or not literal or _same(spec.default, value):
        return []
    message = (
        f"default {_show(spec.default)} differs from main()'s default {_show(value)} "
        f"({where}); main() receives {_show(spec.default)}"
    )
    hint = "make the two defaults equal, or drop the parameter's default"
    return [(("inputs", name, "default"), WARNING, message, hint)]


def _same(declared: object, default: object) -> bool:
    if isinstance(declared, dt.date) and isinstance(default, str):
        return declared.isoformat() == default  # a date input reaches main() as ISO text
    if isinstance(declared, bool) or isinstance(default, bool):
        return type(declared) is type(default) and declared == default
    return declared == default


def _show(value: object) -> str:
    return repr(value.isoformat()) if isinstance(value, dt.date) else repr(value)


def _located(
    problems: list[Mismatch], summary: Summary, metadata: Path, root: Path, entrypoint: str
) -> list[Finding]:
    """Findings at the input's line in automation.yaml, or at main()'s `def` line."""
    index = _line_index(metadata)
    shown = display_path(metadata, root)
    findings = []
    for keys, severity, message, hint in problems:
        if keys is None:
            findings.append(_finding(entrypoint, summary["line"], message, hint, severity=severity))
            continue
        # at the input's name; at the value for a default
        position = index.locate(keys, key=len(keys) == 2) if index else None
        line, column = (position.line, position.column) if position else (None, None)
        field = ".".join(keys)
        findings.append(Finding(shown, line, column, CHECK_ID, severity, message, hint, field))
    return findings


def _line_index(metadata: Path) -> LineIndex | None:
    try:
        return LineIndex(decode(metadata.read_bytes()))
    except (OSError, YamlProblem):
        return None


def _finding(
    display: str,
    line: int | None,
    message: str,
    hint: str,
    *,
    column: int | None = None,
    severity: str = ERROR,
) -> Finding:
    return Finding(display, line, column, CHECK_ID, severity, message, hint)
