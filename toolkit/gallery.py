"""The templates gallery: the folders `autokit new` renders a new automation from.

A template is a folder under `templates/automation/` named like an automation (a slug),
holding the files of the new automation (`*.j2` are rendered, the rest copied as they
are) and a `template.yaml` whose `description` is the one line shown by
`autokit new --list-templates`. The repository's own `templates/automation/` comes
first; the templates shipped beside the toolkit fill in the names it does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, read_contributor_file
from toolkit.metadata import SLUG
from toolkit.repo import Repository
from toolkit.suggest import closest

TEMPLATE_FILE = "template.yaml"
SHIPPED = Path(__file__).resolve().parent.parent / "templates"
LIST_COMMAND = "autokit new --list-templates"
DESCRIPTION_LIMIT = 100
READ_LIMIT = 1024 * 1024 + 1  # one byte over the YAML reader's limit, which it refuses
NO_DESCRIPTION = f"(no description: add one to its {TEMPLATE_FILE})"


@dataclass(frozen=True)
class Template:
    """One template of the gallery."""

    name: str
    description: str
    folder: Path


def template_bases(repo: Repository) -> list[Path]:
    """Where templates are looked for, the repository's own first."""
    return [repo.root / "templates" / "automation", SHIPPED / "automation"]


def gallery(repo: Repository) -> dict[str, Template]:
    """Every template by name, sorted; a repository's own template hides a shipped one."""
    folders: dict[str, Path] = {}
    for base in template_bases(repo):
        if base.is_dir() and not base.is_symlink():
            for folder in base.iterdir():
                if re.fullmatch(SLUG, folder.name) and folder.is_dir():
                    folders.setdefault(folder.name, folder)
    return {name: _template(name, folders[name]) for name in sorted(folders)}


def find_template(repo: Repository, name: str) -> Template:
    """The template called `name`, or an error suggesting the closest one."""
    templates = gallery(repo)
    if name in templates:
        return templates[name]
    match = closest(name, templates)
    listed = f"`{LIST_COMMAND}` lists them all"
    hint = f"did you mean '{match}'? {listed}" if match else listed
    raise ToolkitError(f"there is no template '{name}'", hint)


def listing(templates: dict[str, Template], indent: str = "") -> str:
    """One line per template: its name, then its description."""
    width = max((len(name) for name in templates), default=0)
    return "\n".join(f"{indent}{t.name.ljust(width)}  {t.description}" for t in templates.values())


def _template(name: str, folder: Path) -> Template:
    return Template(name, _description(folder / TEMPLATE_FILE, folder), folder)


def _description(path: Path, folder: Path) -> str:
    """The `description` in template.yaml; a folder without the file still works."""
    from toolkit.metadata.yamlfile import YamlProblem, decode, parse_mapping

    shown = template_path(path)
    try:
        text = decode(read_contributor_file(path, folder, limit=READ_LIMIT))
        data = parse_mapping(text)
    except FileNotFoundError:
        return NO_DESCRIPTION
    except LinkedFile as link:
        raise ToolkitError(f"{shown}: {link}", LINK_HINT) from None
    except OSError as error:
        raise ToolkitError(f"{shown} cannot be read: {error.strerror}") from None
    except YamlProblem as problem:
        raise ToolkitError(
            f"{shown}:{problem.line or 1}: {problem.message}", problem.hint
        ) from None
    description = data.get("description")
    where = f"{shown}:{_line_of(text, 'description')}: description"
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        raise ToolkitError(
            f"{where}: must be one line of text",
            "write e.g. `description: CSV in, a summary CSV out`",
        )
    if len(description) > DESCRIPTION_LIMIT:
        raise ToolkitError(
            f"{where}: is {len(description)} characters long, over the limit of "
            f"{DESCRIPTION_LIMIT}",
            "keep it to one short line; the template's README says the rest",
        )
    return description.strip()


def _line_of(text: str, key: str) -> int:
    """The line `key:` is on (the first line when it is missing)."""
    match = re.search(rf"^{key}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def template_path(path: Path) -> str:
    """The path from `templates/` on, as a person finds it in either place."""
    parts = path.parts
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("templates") :])
