"""Reading an existing script for `autokit adopt`: with `ast` only, never imported or run.

`read_script` finds how the script takes its inputs (an `argparse` parser, a `main()`
signature, or neither), infers one declared input per argument or parameter, and lists
what it could not infer, each with its line: `input()` calls, `sys.argv` indexing,
hard-coded absolute paths, arguments argparse can say but automation.yaml cannot. Every
environment variable it reads becomes a secret to declare (and to confirm).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from typing import Any

# How the adapter passes an input to the script's command line.
OPTION = "option"  # --name VALUE
POSITIONAL = "positional"  # VALUE, in the parser's order
FLAG = "flag"  # --name when true (store_true); `flag-off`: --name when false (store_false)
FLAG_OFF = "flag-off"
SPLIT = "split"  # nargs: one text input, split on spaces into several values
SPLIT_OPTION = "split-option"  # the same for an option: --name VALUE VALUE ...
REPEAT = "repeat"  # action="count": the flag repeated as many times as the integer says

ARGPARSE, MAIN, WHOLE = "argparse", "main", "whole"  # the ways a script takes its inputs

_TYPES = {"int": "integer", "float": "number", "str": "string", "Path": "path", "bool": "boolean"}
_ANNOTATIONS = {**_TYPES, "date": "date", "PurePath": "path"}
_SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PWD", "PASS", "CREDENTIAL")
_ABSOLUTE_PATH = re.compile(r"^(?:/(?:[\w.-]+/)+[\w.-]*|[A-Za-z]:[\\/]\S*|~[\\/]\S+)$")
_INPUT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")


@dataclass
class Input:
    """One inferred input and how the adapter passes it on."""

    name: str
    type: str
    description: str
    line: int
    required: bool = False
    default: Any = None
    choices: list[Any] = field(default_factory=list)
    how: str = OPTION
    option: str | None = None  # the option string, for options and flags
    positional_only: bool = False  # a main() parameter before `/`


@dataclass
class Note:
    """Something a person must look at: where, and what to do."""

    line: int
    text: str


@dataclass
class Secret:
    name: str
    required: bool
    line: int
    looks_secret: bool


@dataclass
class Reading:
    docstring: str
    interface: str
    inputs: list[Input] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)  # top-level names, lines


class NotPython(ValueError):
    """The file cannot be read as Python; the message says where and why."""


def read_script(source: bytes, display: str) -> Reading:
    try:
        module = ast.parse(source, filename=display)
    except SyntaxError as error:
        raise NotPython(f"{display}:{error.lineno or 1}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise NotPython(f"{display}: {error}") from None
    nodes = list(ast.walk(module))
    reading = Reading(ast.get_docstring(module) or "", WHOLE)
    _scan(nodes, reading)
    main = _main_function(module)
    arguments = _argparse_inputs(nodes, reading)
    if main is not None and (main.args.args or main.args.posonlyargs or main.args.kwonlyargs):
        reading.interface, reading.inputs = MAIN, _main_inputs(main, reading)
    elif arguments is not None:
        reading.interface, reading.inputs = ARGPARSE, arguments
    elif main is not None:
        reading.interface = MAIN
    else:
        reading.notes.append(
            Note(
                1,
                "found neither a `main()` nor an argparse parser: the script runs as a "
                "whole, without inputs; declare the inputs it needs and pass them on",
            )
        )
    _unique_names(reading)
    reading.notes.sort(key=lambda note: note.line)
    return reading


# -- main() --------------------------------------------------------------------------


def _main_function(module: ast.Module) -> ast.FunctionDef | None:
    found = None
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main":
            found = node
    if isinstance(found, ast.AsyncFunctionDef):
        return None  # the adapter would need asyncio; run it as a whole instead
    return found


def _main_inputs(main: ast.FunctionDef, reading: Reading) -> list[Input]:
    args = main.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    inputs = []
    for index, (arg, default) in enumerate(pairs):
        kind = _annotation_type(arg.annotation, reading, arg)
        spec = Input(arg.arg, kind[0], f"The `{arg.arg}` argument of main()", arg.lineno)
        spec.choices = kind[1]
        spec.how = POSITIONAL
        spec.positional_only = index < len(args.posonlyargs)
        _set_default(spec, default, reading)
        inputs.append(spec)
    if args.vararg is not None:
        reading.notes.append(
            Note(main.lineno, f"main() takes `*{args.vararg.arg}`: not adopted as an input")
        )
    return inputs


def _annotation_type(
    annotation: ast.expr | None, reading: Reading, arg: ast.arg
) -> tuple[str, list[Any]]:
    if annotation is None:
        return "string", []
    node = _unwrap_optional(annotation)
    name = _dotted(node.value if isinstance(node, ast.Subscript) else node).split(".")[-1]
    if isinstance(node, ast.Subscript) and name == "Literal":
        values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        choices = [_literal(v) for v in values]
        if all(c is not None for c in choices):
            return "choice", choices
    if name in _ANNOTATIONS and not isinstance(node, ast.Subscript):
        return _ANNOTATIONS[name], []
    shown = ast.unparse(annotation)
    reading.notes.append(
        Note(arg.lineno, f"`{arg.arg}: {shown}`: taken as text; check what main() expects")
    )
    return "string", []


def _unwrap_optional(node: ast.expr) -> ast.expr:
    """`X | None` and `Optional[X]` -> X."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [s for s in (node.left, node.right) if not _is_none(s)]
        return sides[0] if len(sides) == 1 else node
    if isinstance(node, ast.Subscript) and _dotted(node.value).split(".")[-1] == "Optional":
        return node.slice
    return node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# -- argparse ------------------------------------------------------------------------


def _argparse_inputs(nodes: list[ast.AST], reading: Reading) -> list[Input] | None:
    """The inputs from `add_argument` calls; None when the script builds no parser."""
    calls = sorted(
        (n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    if not any(
        _dotted(c.func).endswith("ArgumentParser") for c in nodes if isinstance(c, ast.Call)
    ):
        return None
    subparsers = _subparser_names(nodes, reading)
    inputs = []
    for call in calls:
        assert isinstance(call.func, ast.Attribute)
        method = call.func.attr
        if method == "add_mutually_exclusive_group":
            reading.notes.append(
                Note(
                    call.lineno,
                    "a mutually exclusive group: its arguments are separate "
                    "inputs here; give at most one of them a value in a run",
                )
            )
        elif method == "add_argument":
            if _dotted(call.func.value) in subparsers:
                continue  # noted once with its sub-command
            spec = _argument(call, reading)
            if spec is not None:
                inputs.append(spec)
    return inputs


def _subparser_names(nodes: list[ast.AST], reading: Reading) -> set[str]:
    """Variables holding sub-command parsers; each sub-command is noted, not adopted."""
    names: set[str] = set()
    for node in nodes:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr == "add_parser":
            names.update(_dotted(t) for t in node.targets)
    calls = (n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute))
    for call in calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "add_subparsers":
            reading.notes.append(
                Note(
                    call.lineno,
                    "sub-commands (add_subparsers): not adopted; adopt "
                    "each sub-command as its own automation, or declare a choice input",
                )
            )
    return names


def _argument(call: ast.Call, reading: Reading) -> Input | None:
    flags = [_literal(a) for a in call.args]
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if not flags or not all(isinstance(f, str) for f in flags):
        reading.notes.append(Note(call.lineno, "an add_argument() whose names are not literal"))
        return None
    action = _literal(keywords["action"]) if "action" in keywords else "store"
    if action in ("help", "version"):
        return None
    option = next((f for f in flags if f.startswith("--")), flags[0])
    dest = _literal(keywords["dest"]) if "dest" in keywords else option.lstrip("-")
    name = _input_name(str(dest))
    described = _literal(keywords["help"]) if "help" in keywords else None
    description = _description(described, option)
    spec = Input(name, "string", description, call.lineno, option=option)
    if not option.startswith("-"):
        spec.how, spec.option = POSITIONAL, None
    if not _argument_kind(spec, action, keywords, reading):
        return None
    nargs = _literal(keywords["nargs"]) if "nargs" in keywords else None
    if "nargs" in keywords and nargs != "?":
        spec.type, spec.how = "string", SPLIT if spec.how == POSITIONAL else SPLIT_OPTION
        reading.notes.append(
            Note(
                call.lineno,
                f"`{option}` takes several values (nargs={nargs!r}): one text "
                "input here, split on spaces; a value with a space inside needs quotes",
            )
        )
    required_literal = _literal(keywords["required"]) if "required" in keywords else False
    positional = spec.how in (POSITIONAL, SPLIT)
    spec.required = bool(required_literal) or (positional and nargs not in ("?", "*"))
    if "default" in keywords and spec.type != "boolean":
        _set_default(spec, keywords["default"], reading)
    if spec.required:
        spec.default = None
    shown = "none" if spec.default is None else str(spec.default)
    spec.description = spec.description.replace("%(default)s", shown)
    return spec


def _argument_kind(
    spec: Input, action: object, keywords: dict[str, ast.expr], reading: Reading
) -> bool:
    """Set the input's type from `action`, `type` and `choices`; False to leave it out."""
    if action in ("store_true", "store_false"):
        spec.type, spec.how = "boolean", FLAG if action == "store_true" else FLAG_OFF
        spec.default = action == "store_false"
        return True
    if action == "count":
        spec.type, spec.how, spec.default = "integer", REPEAT, 0
        return True
    if action != "store":
        shown = ast.unparse(keywords["action"]) if "action" in keywords else action
        reading.notes.append(
            Note(
                spec.line,
                f"`{spec.option or spec.name}` uses action={shown}: not adopted; "
                "declare an input for it by hand",
            )
        )
        return False
    if "type" in keywords:
        type_name = _dotted(keywords["type"]).split(".")[-1]
        if type_name in _TYPES and type_name != "bool":
            spec.type = _TYPES[type_name]
        else:
            shown = ast.unparse(keywords["type"])
            reading.notes.append(
                Note(
                    spec.line,
                    f"`{spec.option or spec.name}` converts with type={shown}: "
                    "taken as text here, and the script converts it as before",
                )
            )
    if "choices" in keywords:
        choices = _literal(keywords["choices"])
        if isinstance(choices, list | tuple) and choices:
            spec.type, spec.choices = "choice", list(choices)
        else:
            reading.notes.append(Note(spec.line, f"`{spec.option}`: choices that are not literal"))
    return True


def _description(text: object, option: str) -> str:
    if not isinstance(text, str) or not text.strip():
        return f"The {option} argument of the script"
    return " ".join(text.replace("%%", "%").split())  # `%(default)s` is filled in later


def _input_name(dest: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", dest.lower()).strip("_") or "value"
    return name if name[0].isalpha() else f"arg_{name}"


def _unique_names(reading: Reading) -> None:
    seen: set[str] = set()
    for spec in reading.inputs:
        original = spec.name
        while spec.name in seen or not _INPUT_NAME.match(spec.name):
            spec.name = _input_name(spec.name + "_2")[:63]
        if spec.name != original:
            reading.notes.append(Note(spec.line, f"`{original}` is declared as `{spec.name}`"))
        seen.add(spec.name)


def _set_default(spec: Input, node: ast.expr | None, reading: Reading) -> None:
    if node is None:
        spec.required = True  # a main() parameter without a default
        return
    spec.required = False
    value = _literal(node)
    if value is None:
        if not _is_none(node):
            reading.notes.append(
                Note(
                    node.lineno,
                    f"`{spec.name}` defaults to `{ast.unparse(node)}`, which is "
                    "not a plain value: no default is declared, the script's own applies",
                )
            )
        return
    value = _fitting(spec, value)
    if value is None:
        reading.notes.append(Note(node.lineno, f"the default of `{spec.name}` does not fit"))
    spec.default = value


def _fitting(spec: Input, value: object) -> object:
    """The default as the input's type holds it (argparse converts text defaults)."""
    try:
        if spec.type == "integer" and not isinstance(value, bool):
            return int(value)  # type: ignore[call-overload]
        if spec.type == "number" and not isinstance(value, bool):
            return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if spec.type == "boolean":
        return value if isinstance(value, bool) else None
    if spec.type == "choice":
        return value if value in spec.choices else None
    if spec.type in ("string", "path"):
        return value if isinstance(value, str) else str(value)
    return value if isinstance(value, str) else None


# -- what the code does that a person must look at -------------------------------------


def _scan(nodes: list[ast.AST], reading: Reading) -> None:
    secrets: dict[str, Secret] = {}
    for node in nodes:
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "input":
                reading.notes.append(
                    Note(
                        node.lineno,
                        "asks at the keyboard with input(); a run has no "
                        "keyboard: make the answer an input",
                    )
                )
            _environment_read(node, secrets)
        elif isinstance(node, ast.Subscript):
            if _dotted(node.value) in ("sys.argv", "argv"):
                reading.notes.append(
                    Note(
                        node.lineno,
                        f"reads `{ast.unparse(node)}` directly: declare an "
                        "input for it and pass it on in main.py",
                    )
                )
            _environment_read(node, secrets)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _ABSOLUTE_PATH.match(node.value):
                reading.notes.append(
                    Note(
                        node.lineno,
                        f"hard-coded path {node.value!r}: it will not exist on "
                        "the machine that runs it; make it a path input",
                    )
                )
        elif isinstance(node, ast.Import | ast.ImportFrom):
            _imports(node, reading)
    reading.secrets = sorted(secrets.values(), key=lambda s: s.line)
    for secret in reading.secrets:
        kind = "looks like a secret" if secret.looks_secret else "an environment variable"
        reading.notes.append(
            Note(
                secret.line,
                f"reads ${secret.name} ({kind}): declared under `secrets`; "
                "confirm it, or remove it if it is only configuration",
            )
        )


def _environment_read(node: ast.Call | ast.Subscript, secrets: dict[str, Secret]) -> None:
    key: ast.expr | None
    if isinstance(node, ast.Subscript):
        target, key, required = _dotted(node.value), node.slice, True
    else:
        target, key = _dotted(node.func), node.args[0] if node.args else None
        required = False
        if target.endswith("environ.get"):
            target = target.removesuffix(".get")
        elif target.endswith("environ.__getitem__"):
            target, required = target.removesuffix(".__getitem__"), True
    if target not in ("os.environ", "environ", "os.getenv", "getenv") or key is None:
        return
    name = _literal(key)
    if not isinstance(name, str) or not _SECRET_NAME.match(name) or name in secrets:
        return
    looks = any(word in name for word in _SECRET_WORDS)
    secrets[name] = Secret(name, required, node.lineno, looks)


def _imports(node: ast.Import | ast.ImportFrom, reading: Reading) -> None:
    if isinstance(node, ast.ImportFrom):
        if node.level:  # `from . import x`: a package's module, not a script's
            reading.imports.append((node.module or "", node.lineno))
            return
        names = [node.module or ""]
    else:
        names = [alias.name for alias in node.names]
    for name in names:
        top = name.split(".")[0]
        if top and top not in sys.stdlib_module_names and top != "__future__":
            reading.imports.append((top, node.lineno))


# -- small helpers ---------------------------------------------------------------------


def _dotted(node: ast.AST) -> str:
    """`os.environ.get` for the attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
