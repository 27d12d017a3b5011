"""`autokit new NAME --template NAME`: scaffold an automation that passes at once.

The folder is rendered from a template of the gallery (`toolkit.gallery`:
`templates/automation/<template>/`, listed by `--list-templates`; `--runtime python|shell`
names the two plain ones) with a sandboxed jinja2 environment in which an undefined
variable is an error; files not ending in `.j2` are copied as they are. A versioned
template's name, version and the answers given are appended to the metadata as its
`template:` record, from which `autokit upgrade` merges the template's later versions. The rendered
metadata is checked against the contract before anything is written, so a bad `--summary`
or `--owner` is reported as an option error; the folder is written under a temporary name
and renamed into place, so an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.gallery import (
    TEMPLATE_SUFFIX,
    Template,
    find_template,
    gallery,
    listing,
    rendered,
    shown_folder,
    template_sources,
)
from toolkit.ideas.scaffold import seed_new, with_idea
from toolkit.inventory import load_inventory
from toolkit.metadata import METADATA_FILE, OWNER, RUNTIMES, SCHEMA, SLUG, content_problems
from toolkit.metadata.yamlfile import parse_mapping
from toolkit.repo import Repository, repository_from_args
from toolkit.upgrade.record import with_record

EXECUTABLE = {"run.sh"}
# option -> the question asked for it on a terminal
QUESTIONS = {
    "title": "Title (a few words)",
    "summary": "Summary (one line, what it does)",
    "owner": "Owner (@user or @org/team)",
    "department": "Department (e.g. finance, sales, operations)",
}

_OPTION = {"owners": "owner"}  # metadata field -> the option that fills it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help="the new automation's name (a slug); asked for on a terminal when left out",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--template", metavar="TEMPLATE", help="the template to start from (see --list-templates)"
    )
    which.add_argument(
        "--runtime", choices=RUNTIMES, help="the plain python or shell template (--template)"
    )
    which.add_argument(
        "--list-templates", action="store_true", help="list the templates, one line each"
    )
    parser.add_argument("--title", help="a short title")
    parser.add_argument("--summary", help="one line saying what it does (at most 160 chars)")
    parser.add_argument("--owner", help="who owns it: @user or @org/team")
    parser.add_argument("--department", help="the department it serves, e.g. finance")
    parser.add_argument(
        "--from-idea", type=int, metavar="N", help="start from idea issue N (records `idea: N`)"
    )
    parser.add_argument("--ideas", metavar="FILE", help="read --from-idea from this ideas file")


NAME_QUESTION = "Name (lowercase letters, digits and dashes, e.g. late-fees)"
TEMPLATE_QUESTION = "Template (one of the above)"
DEFAULT_TEMPLATE = "python"


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    if args.list_templates:
        print(listing(gallery(repo)))
        return 0
    seed = seed_new(args)  # fills title, summary and department left unset from the idea
    named = args.template or args.runtime
    template = find_template(repo, named) if named else None  # a misspelt name first
    require_a_terminal_for_missing(args)
    template = template or ask_for_template(repo)
    name = args.name or ask(NAME_QUESTION, lambda value: _check_name(repo, value))
    target = target_folder(repo, name)
    answers = collect_answers(args, name, known_departments(repo))
    files = render(template.folder, {"name": name, **answers})
    if METADATA_FILE not in files:
        raise ToolkitError(
            f"the template '{template.name}' has no {METADATA_FILE}{TEMPLATE_SUFFIX}",
            f"add one to {repo.relative(template.folder)}/ (the shipped templates show how)",
        )
    if template.version is not None:  # what `autokit upgrade` merges later versions from
        files[METADATA_FILE] = with_record(
            str(files[METADATA_FILE]), template.name, template.version, answers
        )
    if seed is not None:
        files[METADATA_FILE] = with_idea(str(files[METADATA_FILE]), seed)
    check_rendered_metadata(str(files[METADATA_FILE]))
    write_folder(target, files)
    print(next_steps(repo, target, sorted(files)))
    return 0


def target_folder(repo: Repository, name: str) -> Path:
    """`automations/NAME`, refusing bad slugs, escapes and names already taken."""
    if not re.fullmatch(SLUG, name):
        raise ToolkitError(
            f"'{name}' is not a valid automation name",
            "use lowercase letters, digits and dashes, 2-63 characters, starting with a "
            "letter, e.g. 'invoice-reminders'",
        )
    base = repo.automations_dir.resolve()
    target = base / name
    if os.path.lexists(target):
        raise ToolkitError(
            f"automations/{name} already exists",
            "pick another name, or edit the existing automation",
        )
    if target.resolve().parent != base:  # the slug rules this out; kept as a second lock
        raise ToolkitError(f"'{name}' would be created outside automations/", "pick another name")
    return target


def _check_name(repo: Repository, value: str) -> str | None:
    try:
        target_folder(repo, value)
    except ToolkitError as error:
        return f"{error.message}; {error.hint}" if error.hint else error.message
    return None


def ask_for_template(repo: Repository) -> Template:
    """The template picked on the terminal, from the gallery shown with descriptions."""
    templates = gallery(repo)
    print(f"Templates:\n{listing(templates, indent='  ')}")

    def check(value: str) -> str | None:
        try:
            find_template(repo, value)
        except ToolkitError as error:
            return f"{error.message}; {error.hint}"
        return None

    default = DEFAULT_TEMPLATE if DEFAULT_TEMPLATE in templates else None
    return find_template(repo, ask(TEMPLATE_QUESTION, check, default=default))


def require_a_terminal_for_missing(args: argparse.Namespace) -> None:
    """Values left out are asked for on a terminal; elsewhere they must be options."""
    missing = [f"--{key}" for key in QUESTIONS if not getattr(args, key)]
    if not (args.template or args.runtime):
        missing.insert(0, "--template")
    if not args.name:
        missing.insert(0, "NAME")
    if not missing or sys.stdin.isatty():
        return
    options = " ".join(f"{key} ..." for key in missing if key != "NAME")
    raise ToolkitError(
        f"missing {', '.join(missing)}; autokit cannot ask for "
        f"{'it' if len(missing) == 1 else 'them'} because stdin is not a terminal",
        f"pass {'them' if len(missing) > 1 else 'it'} on the command line: "
        f"autokit new {args.name or 'NAME'} {options}".rstrip(),
    )


def collect_answers(
    args: argparse.Namespace, name: str, departments: Sequence[str] = ()
) -> dict[str, str]:
    """The option values, asking on a terminal for those not given."""
    answers = {key: getattr(args, key) for key in QUESTIONS}
    for key in QUESTIONS:
        if answers[key]:
            continue
        question = QUESTIONS[key]
        if key == "department" and departments:
            question = f"Department (existing: {_some(departments)})"
        answers[key] = ask(question, _ANSWER_CHECKS[key], default=_default(key, name))
    department = answers["department"]
    existing = same_department(department, departments)
    if existing is not None and args.department:
        print(
            f"note: --department '{department}' is written '{existing}' by the other "
            "automations; the catalog groups them apart",
            file=sys.stderr,
        )
    elif existing is not None:
        answers["department"] = _existing_or_new(department, existing)
    return answers


def _some(names: Sequence[str], shown: int = 8) -> str:
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest} more" if rest > 0 else "")


def department_key(department: str) -> str:
    """What two spellings of one department share: case, spaces, dashes and underscores
    aside ('Warehouse Ops', 'warehouse-ops' and 'warehouse_ops' are one)."""
    return re.sub(r"[\s_-]+", "", department).casefold()


def same_department(department: str, departments: Sequence[str]) -> str | None:
    """The existing department `department` is a different spelling of, if any."""
    if department in departments:
        return None
    key = department_key(department)
    return next((known for known in departments if department_key(known) == key), None)


def _existing_or_new(typed: str, existing: str) -> str:
    answer = ask(
        f"  '{typed}' looks like the existing department '{existing}'; use '{existing}'? [Y/n]",
        lambda value: None if value.lower() in ("", "y", "yes", "n", "no") else "answer y or n",
    )
    return typed if answer.lower() in ("n", "no") else existing


def known_departments(repo: Repository) -> list[str]:
    """The departments of the repository's automations (valid metadata only), sorted."""
    return sorted({a.department for a in load_inventory(repo).automations if a.department})


def _default(key: str, name: str) -> str | None:
    if key == "title":
        return name.replace("-", " ").capitalize()
    return None


def _check_owner(value: str) -> str | None:
    return None if re.fullmatch(OWNER, value) else "write a GitHub handle: @user or @org/team"


def _check_text(value: str) -> str | None:
    return None if value.strip() else "this cannot be empty"


def _check_length(limit: int) -> Callable[[str], str | None]:
    """A check for a line of text of at most `limit` characters (the schema's limit)."""

    def check(value: str) -> str | None:
        if len(value) > limit:
            return f"{len(value)} characters; keep it to {limit}"
        return _check_text(value)

    return check


_ANSWER_CHECKS: dict[str, Callable[[str], str | None]] = {
    "title": _check_length(SCHEMA["title"]["maxlength"]),
    "summary": _check_length(SCHEMA["summary"]["maxlength"]),
    "owner": _check_owner,
    "department": _check_text,
}


def ask(question: str, check: Callable[[str], str | None], default: str | None = None) -> str:
    """Ask on the terminal until the answer passes `check`."""
    prompt = f"{question}" + (f" [{default}]" if default else "") + ": "
    while True:
        try:
            answer = input(prompt).strip() or (default or "")
        except EOFError:
            raise ToolkitError("no answer given; nothing was created") from None
        except UnicodeDecodeError:  # the terminal sent bytes that are not text
            print("  that was not readable text (UTF-8); type it again", file=sys.stderr)
            continue
        problem = check(answer)
        if problem is None:
            return answer
        print(f"  {problem}", file=sys.stderr)


def render(folder: Path, values: Mapping[str, str]) -> dict[str, str | bytes]:
    """Every file of the template in `folder`: relative path -> its rendered text (`*.j2`)
    or its bytes as they are (any other file, such as sample data)."""
    return rendered(template_sources(folder), values, shown_folder(folder))


def check_rendered_metadata(text: str) -> None:
    """Check the metadata against the contract before writing; problems name the option."""
    problems = content_problems(parse_mapping(text))
    if problems:
        lines = [
            f"--{_OPTION.get(p.keys[0], p.keys[0])}: {p.message}"
            + (f" ({p.hint})" if p.hint else "")
            for p in problems
        ]
        raise ToolkitError("the new automation would not be valid:\n" + "\n".join(lines))


def write_folder(target: Path, files: Mapping[str, str | bytes]) -> None:
    """Write every file into a hidden temporary folder, then rename it into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".new-{target.name}-", dir=target.parent))
    try:
        for relative, content in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            path.chmod(0o755 if path.name in EXECUTABLE else 0o644)
        staging.chmod(0o755)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def next_steps(repo: Repository, target: Path, files: list[str]) -> str:
    folder = repo.relative(target)
    return "\n".join(
        [
            f"created {folder}/ with {', '.join(files)}",
            "next:",
            f"  1. edit {folder}/ (the entrypoint, its tests, README.md, automation.yaml)",
            f"  2. autokit validate {folder}   (the metadata contract)",
            f"  3. autokit test {target.name}   (its tests and examples, in its own environment)",
            f"  4. autokit run {target.name} --example   (try it on its example inputs)",
            "  5. autokit codeowners   (adds the owner to .github/CODEOWNERS)",
            "  6. commit on a branch, push, and open a pull request",
        ]
    )
