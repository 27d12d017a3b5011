"""The templates gallery: the folders `autokit new` renders a new automation from.

A template is a folder under `templates/automation/` named like an automation (a slug),
holding the files of the new automation (`*.j2` are rendered, the rest copied as they
are) and a `template.yaml` whose `description` is the one line shown by
`autokit new --list-templates` and whose `version` (a positive whole number, raised with
every change) `autokit new` records in the new automation's metadata, so that
`autokit upgrade` can merge the template's later improvements. The repository's own
`templates/automation/` comes first; the templates shipped beside the toolkit fill in the
names it does not have.

`render_template` renders a template's files (from its folder, or as read from Git) with
a sandboxed jinja2 environment in which an undefined variable is an error.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, read_contributor_file
from toolkit.metadata import SLUG
from toolkit.repo import Repository
from toolkit.suggest import closest
from toolkit.templating import sandboxed_environment

if TYPE_CHECKING:
    from jinja2 import Template as JinjaTemplate
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_FILE = "template.yaml"
TEMPLATE_SUFFIX = ".j2"
# Skipped when a template is rendered: its description, and what running tests leaves.
NOT_RENDERED = {TEMPLATE_FILE, "__pycache__", ".pytest_cache"}
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
    version: int | None = None  # None: its template.yaml has no `version` (not upgradable)


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
    description, version = _settings(folder / TEMPLATE_FILE, folder)
    return Template(name, description, folder, version)


def _settings(path: Path, folder: Path) -> tuple[str, int | None]:
    """The `description` and `version` in template.yaml; a folder without the file still
    works (with no version)."""
    from toolkit.metadata.yamlfile import YamlProblem, decode, parse_mapping

    shown = template_path(path)
    try:
        text = decode(read_contributor_file(path, folder, limit=READ_LIMIT))
        data = parse_mapping(text)
    except FileNotFoundError:
        return NO_DESCRIPTION, None
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
    return description.strip(), template_version(data, text, shown)


def template_version(data: dict[str, object], text: str, shown: str) -> int | None:
    """The `version` of a template.yaml's data (None when it has none), or an error at its line."""
    version = data.get("version")
    if version is None:
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ToolkitError(
            f"{shown}:{_line_of(text, 'version')}: version: must be a positive whole number, "
            f"not {version!r}",
            "write e.g. `version: 1`, and raise it by one with every change to the template",
        )
    return version


def _line_of(text: str, key: str) -> int:
    """The line `key:` is on (the first line when it is missing)."""
    match = re.search(rf"^{key}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def template_path(path: Path) -> str:
    """The path from `templates/` on, as a person finds it in either place."""
    parts = path.parts
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("templates") :])


def shown_folder(folder: Path) -> str:
    """A template folder as messages name it: from `templates/` on when it is under one."""
    return template_path(folder) if "templates" in folder.parts else folder.as_posix()


def template_sources(folder: Path) -> dict[str, bytes]:
    """Every file of the template in `folder` (relative path -> bytes), in a stable order;
    templates/ is a contributor folder, so a link is refused, never followed."""
    sources: dict[str, bytes] = {}
    for path in template_files(folder):
        try:
            sources[path.relative_to(folder).as_posix()] = read_contributor_file(path, folder)
        except LinkedFile as link:
            raise ToolkitError(f"{folder}: template {link}", LINK_HINT) from None
    return sources


def template_files(folder: Path) -> list[Path]:
    """The files a template is made of, in a stable order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if not NOT_RENDERED & set(path.relative_to(folder).parts)
        and (path.is_file() or path.is_symlink())
    )


def rendered(
    sources: Mapping[str, bytes], values: Mapping[str, str], shown: str
) -> dict[str, str | bytes]:
    """The files of a template (`sources`: relative path -> bytes) rendered with `values`:
    `*.j2` files as text without the suffix, any other file (such as sample data) as its
    bytes. `shown` names the template in errors (its folder, or a version read from Git)."""
    files: dict[str, str | bytes] = {}
    for relative, data in sources.items():
        if relative.endswith(TEMPLATE_SUFFIX):
            text = data.decode("utf-8", errors="replace")
            where = f"{shown}/{relative}"
            files[relative.removesuffix(TEMPLATE_SUFFIX)] = _render_one(text, where, values)
        else:
            files[relative] = data
    return files


def yaml_string(value: object) -> str:
    """Any text as a YAML scalar: a JSON string is a valid double-quoted YAML one."""
    return json.dumps(str(value), ensure_ascii=False)


@functools.cache
def _environment() -> SandboxedEnvironment:
    # Templates are read as strings (no loader) and keep jinja2's default block whitespace.
    env = sandboxed_environment(autoescape=False, trim_blocks=False)
    env.filters["yaml_string"] = yaml_string
    return env


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> JinjaTemplate:
    """A template file compiled once: `autokit upgrade --all` renders each file for every
    automation made from it, twice."""
    return _environment().from_string(text)


def _render_one(text: str, where: str, values: Mapping[str, str]) -> str:
    """One template file rendered; a mistake in it is named with its file and line."""
    from jinja2 import TemplateError, TemplateSyntaxError

    literally = "to write {{ or {% literally, wrap it in {% raw %}...{% endraw %}"
    try:
        return _compiled(text).render(**values)
    except TemplateSyntaxError as error:
        raise ToolkitError(
            f"{where}:{error.lineno}: {error.message}", f"fix it; {literally}"
        ) from None
    except TemplateError as error:  # e.g. a variable `autokit new` does not provide
        raise ToolkitError(
            f"{where}: {error}", f"it may use {', '.join(sorted(values))}; {literally}"
        ) from None
