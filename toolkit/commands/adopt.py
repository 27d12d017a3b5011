"""`autokit adopt PATH [--name NAME]`: make an automation of an existing Python script.

The script is read with `ast` (`toolkit.adoption`), never imported or run. It is copied
into `automations/NAME/` unchanged, with the modules beside it that it imports, and
`autokit new`'s scaffolding (`toolkit.commands.new`: the checks, the questions, the
rendering and the all-or-nothing write) adds the rest from `templates/adopt/`: metadata
with the inferred inputs and secrets, a README, a CHANGELOG, a thin `main.py` that passes
the inputs on, and smoke tests. What it could not infer is listed with file and line.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from toolkit.adoption import (
    ARGPARSE,
    FLAG,
    FLAG_OFF,
    MAIN,
    OPTION,
    POSITIONAL,
    REPEAT,
    SPLIT,
    SPLIT_OPTION,
    Input,
    Note,
    NotPython,
    Reading,
    read_script,
)
from toolkit.commands import new
from toolkit.errors import ToolkitError
from toolkit.metadata import METADATA_FILE, SLUG
from toolkit.repo import Repository, repository_from_args

TEMPLATES = "adopt"
MAX_SCRIPT_BYTES = 4 * 1024 * 1024
UNRESOLVED = (
    "neither beside the script nor in the standard library; add it to `requirements` "
    "(name==version) or copy it in"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the Python script to adopt")
    parser.add_argument("--name", help="the automation's name (default: from the file name)")
    parser.add_argument("--title", help="a short title (default: from the name)")
    parser.add_argument("--summary", help="one line saying what it does (default: its docstring)")
    parser.add_argument("--owner", help="who owns it: @user or @org/team (default: your team)")
    parser.add_argument("--department", help="the department it serves, e.g. finance")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    script = Path(args.path)
    raw = read_source(script)
    name = args.name or default_name(script)
    try:
        target = new.target_folder(repo, name)
    except ToolkitError as error:
        raise ToolkitError(error.message, f"pass --name NAME ({error.hint})") from None
    try:
        reading = read_script(raw, str(script))
    except NotPython as error:
        raise ToolkitError(
            f"{error} (it cannot be read as Python, so nothing was adopted)",
            "fix the syntax (`python -m py_compile` shows the same error) and adopt again",
        ) from None
    copied = script.name if script.stem != "main" else "script.py"
    modules, unresolved = modules_beside(script, reading)
    answers = collect_answers(repo, args, name, reading)
    values = template_values(name, copied, reading, answers, unresolved)
    files = new.render(template_folder(repo), values)
    metadata = files[METADATA_FILE]  # rendered from a .j2 file: text
    new.check_rendered_metadata(metadata if isinstance(metadata, str) else metadata.decode())
    files[copied] = _text(raw, script)
    for relative, path in modules.items():
        files[relative] = _text(path.read_bytes(), path)
    new.write_folder(target, files)
    print(report(repo, target, copied, reading, sorted(files), unresolved))
    return 0


def read_source(script: Path) -> bytes:
    """The script's bytes, refusing what is not a Python file."""
    if not script.is_file():
        raise ToolkitError(f"{script}: no such file", "give the path of a .py script file")
    with script.open("rb") as file:
        raw = file.read(MAX_SCRIPT_BYTES + 1)
    python_shebang = raw.startswith(b"#!") and b"python" in raw.split(b"\n", 1)[0]
    if script.suffix != ".py" and not python_shebang:
        raise ToolkitError(
            f"{script} is not a Python script (it is not a .py file)",
            "adopt a Python script; other files can be copied into an automation by hand",
        )
    if len(raw) > MAX_SCRIPT_BYTES or b"\0" in raw:
        raise ToolkitError(f"{script} is not a Python script (binary or too large)")
    return raw


def _text(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolkitError(
            f"{path} is not UTF-8 text", "save it as UTF-8 (most editors can) and adopt again"
        ) from None


def default_name(script: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", script.stem.lower()).strip("-")
    name = name if re.fullmatch(SLUG, name) else f"adopted-{name}".strip("-")[:63]
    return name


def template_folder(repo: Repository) -> Path:
    """`templates/adopt/`, the repository's own or the one shipped beside the toolkit."""
    shipped = Path(__file__).resolve().parents[2] / "templates"
    for base in (repo.root / "templates", shipped):
        if (base / TEMPLATES).is_dir():
            return base / TEMPLATES
    raise ToolkitError("no templates for adopt", "restore templates/adopt/ in the repository")


# -- the modules it imports ------------------------------------------------------------


def modules_beside(script: Path, reading: Reading) -> tuple[dict[str, Path], list[str]]:
    """The modules beside the script that it imports (copied along), and the imports
    found neither beside it nor in the standard library (listed for a person)."""
    folder = script.parent
    copied: dict[str, Path] = {}
    unresolved: list[str] = []
    pending = [(script, reading)]
    while pending:
        source, read = pending.pop()
        for module, line in read.imports:
            found = _beside(folder, module)
            if not found:
                unresolved.append(f"{source.name}:{line}: imports `{module}`")
                continue
            for path in found:
                relative = path.relative_to(folder).as_posix()
                if relative in copied or path == script:
                    continue
                copied[relative] = path
                with contextlib.suppress(NotPython):  # copied as it is, not read further
                    pending.append((path, read_script(path.read_bytes(), str(path))))
    return copied, sorted(set(unresolved))


def _beside(folder: Path, module: str) -> list[Path]:
    if not module:
        return []
    if (folder / f"{module}.py").is_file():
        return [folder / f"{module}.py"]
    package = folder / module
    if (package / "__init__.py").is_file():
        return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    return []


# -- answers ---------------------------------------------------------------------------


def collect_answers(
    repo: Repository, args: argparse.Namespace, name: str, reading: Reading
) -> dict[str, str]:
    """Title, summary, owner and department: given, inferred, or asked on a terminal."""
    summary = args.summary or _first_line(reading.docstring) or f"Runs the {name} script."
    owner, department = args.owner, args.department
    if not owner:
        owner, guessed = team_of_committer(repo)
        department = department or guessed
    departments = new.known_departments(repo)
    given = argparse.Namespace(
        runtime="python",
        title=args.title or name.replace("-", " ").capitalize(),
        summary=summary[:160],
        owner=owner,
        department=department,
    )
    missing = [f"--{key}" for key in ("owner", "department") if not getattr(given, key)]
    if missing and not sys.stdin.isatty():
        known = f" (existing departments: {', '.join(departments)})" if departments else ""
        raise ToolkitError(
            f"missing {', '.join(missing)}: autokit could not infer "
            f"{'it' if len(missing) == 1 else 'them'}, and stdin is not a terminal to ask",
            f"pass {' '.join(f'{m} ...' for m in missing)}{known}",
        )
    return new.collect_answers(given, name, departments)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip() if text.strip() else ""


def team_of_committer(repo: Repository) -> tuple[str | None, str | None]:
    """The team that owns most of the automations your Git email (`git config
    user.email`) committed to, and their department; (None, None) when Git cannot say."""
    from toolkit import git
    from toolkit.inventory import load_inventory

    try:
        # `git config user.email`, or GIT_AUTHOR_EMAIL where set: the email commits carry
        ident = git.run_git(repo.root, "var", "GIT_AUTHOR_IDENT")
        email = ident[ident.find("<") + 1 : ident.find(">")].strip()
        if not email:
            return None, None
        touched = git.run_git(
            repo.root, "log", f"--author={email}", "--format=", "--name-only", "--", "automations"
        )
    except ToolkitError:
        return None, None
    names = {line.split("/")[1] for line in touched.splitlines() if line.count("/") >= 2}
    automations = [a for a in load_inventory(repo).automations if a.name in names]
    teams = collections.Counter(o for a in automations for o in a.owners if "/" in o)
    if not teams:
        return None, None
    team = teams.most_common(1)[0][0]
    departments = collections.Counter(a.department for a in automations if team in a.owners)
    return team, departments.most_common(1)[0][0] if departments else None


# -- what the templates receive --------------------------------------------------------


def template_values(
    name: str, script: str, reading: Reading, answers: dict[str, str], unresolved: list[str]
) -> dict[str, str]:
    inputs = [_fitting_default(spec, reading) for spec in reading.inputs]
    description = reading.docstring.strip() or (
        f"Replace this paragraph: what {script} reads, what it changes or produces."
    )
    return {
        "name": name,
        "script": script,
        "script_py": _py(script),
        "interface": reading.interface,
        "interface_py": _py(reading.interface),
        "arguments_py": _python(
            {s.name: (s.how, s.option) for s in inputs if reading.interface == ARGPARSE}
        ),
        "positional_only_py": _py([s.name for s in inputs if s.positional_only]),
        "paths_py": _py([s.name for s in inputs if s.type == "path"]),
        "inputs_yaml": _yaml_block("inputs", {s.name: _spec(s) for s in inputs}),
        "secrets_yaml": _yaml_block("secrets", [_secret(s) for s in reading.secrets]),
        "description": description,
        "inputs_table": _inputs_table(inputs),
        "run_inputs": "".join(f" --input {s.name}=..." for s in inputs if s.required),
        "notes_list": "\n".join(
            [f"- {script}:{n.line}: {n.text}" for n in reading.notes]
            + [f"- {line}: {UNRESOLVED}" for line in unresolved]
        )
        or "Nothing: every argument became an input.",
        "sample_inputs_py": _python(_samples(inputs, reading), "    "),
        "sample_argv_py": _python(_argv(_samples(inputs, reading), inputs, reading), "    "),
        **answers,
    }


def _fitting_default(spec: Input, reading: Reading) -> Input:
    """The input, without a default that does not fit it (noted for a person)."""
    from toolkit.metadata.values import input_value_problem, loose_spec

    if spec.default is not None and input_value_problem(
        loose_spec(spec.name, _spec(spec)), spec.default
    ):
        reading.notes.append(
            Note(spec.line, f"the default of `{spec.name}` does not fit its type: left out")
        )
        spec.default = None
    return spec


def _spec(spec: Input) -> dict[object, Any]:
    data: dict[object, Any] = {"type": spec.type, "description": spec.description}
    if spec.required:
        data["required"] = True
    if spec.default is not None:
        data["default"] = spec.default
    if spec.choices:
        data["choices"] = spec.choices
    return data


def _secret(secret: Any) -> dict[str, Any]:
    purpose = "looks like a secret" if secret.looks_secret else "an environment variable"
    data = {"name": secret.name, "description": f"Read by the script ({purpose}); confirm it"}
    return {**data, "required": secret.required}


def _yaml_block(key: str, value: object) -> str:
    import yaml

    if not value:
        return f"{key}: {'{}' if isinstance(value, dict) else '[]'}\n"
    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=88)


def _inputs_table(inputs: list[Input]) -> str:
    if not inputs:
        return "None: the script takes no inputs."
    rows = ["| input | type | default | description |", "|---|---|---|---|"]
    for spec in inputs:
        if spec.required or spec.default is None:
            shown = "required" if spec.required else ""
        else:
            shown = f"`{json.dumps(spec.default)}`"
        rows.append(f"| `{spec.name}` | {spec.type} | {shown} | {spec.description} |")
    return "\n".join(rows)


_SAMPLES = {"integer": 2, "number": 1.5, "boolean": True, "date": "2024-01-31", "path": "in.csv"}


def _samples(inputs: list[Input], reading: Reading) -> dict[str, Any]:
    if reading.interface != ARGPARSE:
        return {}
    values: dict[str, Any] = {}
    for spec in inputs:
        if spec.how in (FLAG, FLAG_OFF):
            values[spec.name] = spec.how == FLAG  # the value that sets the flag
        elif spec.choices:
            values[spec.name] = spec.choices[-1]
        else:
            values[spec.name] = _SAMPLES.get(spec.type, "some text")
    return values


def _argv(values: dict[str, Any], inputs: list[Input], reading: Reading) -> list[str]:
    """The command line the adapter should build for `values` (the smoke test's answer)."""
    argv: list[str] = []
    for spec in inputs:
        if spec.name not in values:
            continue
        value, option = values[spec.name], str(spec.option)
        parts = {
            OPTION: [option, str(value)],
            POSITIONAL: [str(value)],
            FLAG: [option],
            FLAG_OFF: [option],
            REPEAT: [option] * int(value) if spec.how == REPEAT else [],
            SPLIT: str(value).split(),
            SPLIT_OPTION: [option, *str(value).split()],
        }
        argv += parts[spec.how]
    return argv


def _python(value: dict[str, Any] | list[Any], indent: str = "") -> str:
    """A dict or list as Python source, one entry a line when long, as `ruff format` does."""
    if isinstance(value, list):
        flat = _py(value)
        if len(flat) + len(indent) < 70:
            return flat
        return "[\n" + "".join(f"{indent}    {_py(v)},\n" for v in value) + f"{indent}]"
    if not value:
        return "{}"
    items = "".join(f"{indent}    {_py(k)}: {_py(v)},\n" for k, v in value.items())
    return "{\n" + items + f"{indent}}}"


def _py(value: object) -> str:
    """A plain value as Python source, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python literal
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_py, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(map(_py, value)) + "]"
    return repr(value)


# -- what is said at the end -----------------------------------------------------------


def report(
    repo: Repository,
    target: Path,
    script: str,
    reading: Reading,
    files: list[str],
    unresolved: list[str],
) -> str:
    folder = repo.relative(target)
    how = {ARGPARSE: "its argparse parser", MAIN: "its main()"}.get(reading.interface)
    inferred = f"{len(reading.inputs)} input(s) from {how}" if how else "no inputs"
    lines = [f"adopted {script} as {folder}/ ({inferred}): {', '.join(files)}"]
    todo = [f"  {folder}/{script}:{n.line}: {n.text}" for n in reading.notes]
    todo += [f"  {folder}/{line}: {UNRESOLVED}" for line in unresolved]
    if todo:
        lines += ["left for a person (also listed in its README.md):", *todo]
    lines += [
        "next:",
        f"  1. check {folder}/{METADATA_FILE}: the inputs, secrets, owner and summary",
        f"  2. autokit validate {folder}  and  autokit test {target.name}",
        "  3. commit on a branch, push, and open a pull request",
    ]
    return "\n".join(lines)
