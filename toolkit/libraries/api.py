"""A library's public API, read with `ast` (its code is never imported or run).

The public names are those in `__all__` of the package's `__init__.py` (a list or tuple of
strings), or without `__all__` every top-level function and class not starting with `_`.
A name re-exported with `from .module import name` is followed into that module of the
package (a few levels deep), so its signature and docstring are found where it is defined.

`breaking_changes(old, new)` lists what breaks code written against `old`: a public
function or class removed (or renamed: the old name is gone), one that changed kind, a
required parameter added, or a parameter removed. The policy check `library-rules` asks
for a major version for these.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from toolkit.files import read_contributor_file

MAX_SOURCE_BYTES = 1024 * 1024
_MAX_DEPTH = 4  # how far `from .a import b` chains are followed


class Parameter(NamedTuple):
    name: str
    required: bool
    keyword_only: bool


class PublicName(NamedTuple):
    """A function or class of the public API."""

    name: str
    kind: str  # "function", "class" or "value" (a name defined otherwise)
    parameters: tuple[Parameter, ...]  # a class: its __init__'s, without self
    docstring: str
    signature: str  # e.g. "send_email(server, message, *, dry_run=False)"


# Reads a module of the package by its dotted name relative to the package ("" for
# __init__); None when there is no such file.
SourceReader = Callable[[str], str | None]


def package_reader(package: Path, root: Path) -> SourceReader:
    """A SourceReader of the package folder `package` in the working tree at `root`: a
    module is `<dotted path>.py` or `<dotted path>/__init__.py`, read without following a
    link (None for a link, a missing file, or one too large to parse)."""

    def read(dotted: str) -> str | None:
        base = package.joinpath(*dotted.split(".")) if dotted else package
        candidates = [base.with_suffix(".py")] if dotted else []
        for path in [*candidates, base / "__init__.py"]:
            try:
                raw = read_contributor_file(path, root, MAX_SOURCE_BYTES + 1)
            except OSError:  # missing, a folder, or a link (LinkedFile)
                continue
            return None if len(raw) > MAX_SOURCE_BYTES else raw.decode("utf-8", "replace")
        return None

    return read


def public_api(read: SourceReader, package: str | None = None) -> dict[str, PublicName]:
    """The public names of the package whose modules `read` returns; `package` is its
    import name, so that `from <package>.files import name` is followed like
    `from .files import name`."""
    init = _parse(read(""))
    if init is None:
        return {}
    exported = _exported_names(init)
    found: dict[str, PublicName] = {}
    for name in exported:
        definition = _find(read, init, "", name, 0, package)
        found[name] = definition._replace(name=name) if definition else _value(name)
    return found


def _parse(source: str | None) -> ast.Module | None:
    if source is None or len(source.encode("utf-8", errors="replace")) > MAX_SOURCE_BYTES:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _exported_names(module: ast.Module) -> list[str]:
    for node in module.body:
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        names_all = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
        if names_all and isinstance(value, ast.List | ast.Tuple):
            return [
                e.value
                for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return [
        node.name
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    ]


def _find(
    read: SourceReader,
    module: ast.Module,
    dotted: str,
    name: str,
    depth: int,
    package: str | None = None,
) -> PublicName | None:
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return _function(node)
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _class(node)
    if depth >= _MAX_DEPTH:
        return None
    for node in module.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        target = _own_module(node, package)
        if target is None:
            continue
        for alias in node.names:
            if (alias.asname or alias.name) != name:
                continue
            submodule = _parse(read(target)) if target else None
            if submodule is not None:
                return _find(read, submodule, target, alias.name, depth + 1, package)
    return None


def _own_module(node: ast.ImportFrom, package: str | None) -> str | None:
    """The package's own module an import reads from (dotted, relative to the package),
    or None for an import from elsewhere."""
    if node.level == 1:
        return node.module or ""
    if node.level == 0 and package and node.module and node.module.startswith(f"{package}."):
        return node.module.removeprefix(f"{package}.")
    return None


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool = False) -> PublicName:
    parameters = _parameters(node.args, skip_first=method)
    return PublicName(
        node.name,
        "function",
        parameters,
        ast.get_docstring(node) or "",
        f"{node.name}({_shown(node.args, skip_first=method)})",
    )


def _class(node: ast.ClassDef) -> PublicName:
    init = next(
        (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is not None:
        parameters, shown = _parameters(init.args, skip_first=True), _shown(init.args, True)
    else:
        parameters, shown = _dataclass_fields(node), None
        shown = ", ".join(p.name if p.required else f"{p.name}=..." for p in parameters)
    docstring = ast.get_docstring(node) or ""
    return PublicName(node.name, "class", parameters, docstring, f"{node.name}({shown})")


def _dataclass_fields(node: ast.ClassDef) -> tuple[Parameter, ...]:
    """A class without __init__ (a dataclass or NamedTuple): its annotated fields."""
    fields = []
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            annotation = ast.unparse(item.annotation)
            if annotation.startswith("ClassVar") or item.target.id.startswith("_"):
                continue
            fields.append(Parameter(item.target.id, item.value is None, False))
    return tuple(fields)


def _value(name: str) -> PublicName:
    return PublicName(name, "value", (), "", name)


def _parameters(arguments: ast.arguments, *, skip_first: bool) -> tuple[Parameter, ...]:
    positional = [*arguments.posonlyargs, *arguments.args]
    if skip_first and positional:
        positional = positional[1:]
    defaults_from = len(positional) - len(arguments.defaults)
    found = [
        Parameter(argument.arg, index < defaults_from, False)
        for index, argument in enumerate(positional)
    ]
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        found.append(Parameter(argument.arg, default is None, True))
    return tuple(found)


def _shown(arguments: ast.arguments, skip_first: bool = False) -> str:
    copy = ast.arguments(
        posonlyargs=list(arguments.posonlyargs),
        args=list(arguments.args),
        vararg=arguments.vararg,
        kwonlyargs=list(arguments.kwonlyargs),
        kw_defaults=list(arguments.kw_defaults),
        kwarg=arguments.kwarg,
        defaults=list(arguments.defaults),
    )
    if skip_first:
        if copy.posonlyargs:
            copy.posonlyargs.pop(0)
        elif copy.args:
            copy.args.pop(0)
    for argument in [*copy.posonlyargs, *copy.args, *copy.kwonlyargs]:
        argument.annotation = None
    for extra in (copy.vararg, copy.kwarg):
        if extra is not None:
            extra.annotation = None
    return ast.unparse(copy)


def breaking_changes(old: Mapping[str, PublicName], new: Mapping[str, PublicName]) -> list[str]:
    """What breaks code written against `old`, one sentence each."""
    changes = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            changes.append(f"the public {before.kind} {name} was removed or renamed")
            continue
        if after.kind != before.kind:
            changes.append(f"{name} was a {before.kind} and is now a {after.kind}")
            continue
        had = {p.name: p for p in before.parameters}
        has = {p.name: p for p in after.parameters}
        for parameter in after.parameters:
            earlier = had.get(parameter.name)
            if parameter.required and (earlier is None or not earlier.required):
                changes.append(f"{name} has a new required parameter '{parameter.name}'")
        for parameter in before.parameters:
            if parameter.name not in has:
                changes.append(f"{name} lost its parameter '{parameter.name}'")
    return changes
