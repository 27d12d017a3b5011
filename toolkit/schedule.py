"""Schedules on GitHub Actions: the generated scheduled workflow, and what is due when.

GitHub Actions is the scheduler: `.github/workflows/scheduled.yml` holds one `cron` entry
per distinct expression found in the automations' `schedule` fields. When an entry fires,
GitHub passes that exact expression as `github.event.schedule`, and
`autokit schedule due --cron "<expression>"` names the automations to run.

Secrets cannot be looked up by a computed name on Actions without handing every secret of
the repository to the runner, so the workflows that run automations (`scheduled.yml` and
`run.yml`) map each declared secret name explicitly, and each in a job of its own
automation: one generated job per automation, whose run step maps that automation's
secrets and no other's. Both files are generated here from metadata and templates, and
so are the Run forms, one workflow per automation (`toolkit.forms`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import cron, forms
from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, linked_part
from toolkit.metadata import Automation
from toolkit.repo import Repository
from toolkit.templating import sandboxed_environment

if TYPE_CHECKING:
    from jinja2 import Template

SCHEDULED_WORKFLOW = ".github/workflows/scheduled.yml"
RUN_WORKFLOW = ".github/workflows/run.yml"
SCHEDULED_TEMPLATE = "workflows/scheduled.yml.j2"
RUN_TEMPLATE = "workflows/run.yml.j2"
FORMS_FOLDER = forms.FORMS_FOLDER
TEMPLATE = SCHEDULED_TEMPLATE


@dataclass(frozen=True)
class CronEntry:
    """One distinct expression of the workflow, and the automations it runs."""

    expression: str
    names: tuple[str, ...]


def normalize(expression: str) -> str:
    """The expression with single spaces, as the workflow writes it; an error if invalid."""
    try:
        return cron.parse(expression).expression
    except cron.CronError as error:
        raise ToolkitError(
            f"'{expression}' is not a valid cron expression: {error}",
            "write five fields in UTC, e.g. '0 8 * * 1-5' for weekdays at 08:00",
        ) from None


def cron_entries(automations: Iterable[Automation]) -> list[CronEntry]:
    """One entry per distinct schedule, sorted by expression; names sorted within each."""
    groups: dict[str, list[str]] = {}
    for automation in automations:
        if automation.schedule:
            groups.setdefault(normalize(automation.schedule), []).append(automation.name)
    return [CronEntry(expr, tuple(sorted(names))) for expr, names in sorted(groups.items())]


def due_automations(automations: Iterable[Automation], cron_expression: str) -> list[str]:
    """The names of the automations whose schedule is `cron_expression`, sorted.

    Expressions are compared as written (apart from spacing), because that is what
    GitHub passes back when an entry fires.
    """
    wanted = normalize(cron_expression)
    return sorted(a.name for a in automations if a.schedule and normalize(a.schedule) == wanted)


def too_frequent(entries: Iterable[CronEntry]) -> list[str]:
    """Expressions that fire more than once in 5 minutes, which GitHub does not do.

    GitHub runs a scheduled workflow at most every 5 minutes, so such a schedule runs
    less often than its metadata says. The gap is the real one between consecutive runs
    (`0,58 8 * * *` is 58 minutes apart; `58 23 * * *` with `0 0` runs across midnight).
    """
    found: list[str] = []
    for entry in entries:
        gap = cron.shortest_gap_minutes(cron.parse(entry.expression))
        if gap is not None and gap < 5:
            found.append(entry.expression)
    return found


def inputs_without_default(automations: Iterable[Automation]) -> dict[str, list[str]]:
    """Scheduled automations -> their required inputs that have no default.

    Nobody types inputs for a scheduled run: these come from the `SCHEDULED_INPUTS`
    variable of the automation's GitHub environment, or the run fails.
    """
    found: dict[str, list[str]] = {}
    for automation in automations:
        names = [
            spec.name
            for spec in automation.inputs.values()
            if spec.required and spec.default is None
        ]
        if automation.schedule and names:
            found[automation.name] = names
    return found


def secret_names(automations: Iterable[Automation]) -> list[str]:
    """Every declared secret name, sorted and deduplicated."""
    return sorted({secret.name for a in automations for secret in a.secrets})


@dataclass(frozen=True)
class AutomationJob:
    """A generated job that runs one automation: its name and its run step's secret lines."""

    name: str
    secrets_env: str
    notify_env: str  # its notify job's secret lines; empty when `notify:` names no secret


def automation_jobs(automations: Iterable[Automation], indent: int = 10) -> list[AutomationJob]:
    """One job per automation, sorted by name, each mapping that automation's secrets only."""
    ordered = sorted(automations, key=lambda a: a.name)
    return [AutomationJob(a.name, secrets_env([a], indent), notify_env(a, indent)) for a in ordered]


def secrets_env(automations: Iterable[Automation], indent: int) -> str:
    """The `env:` lines that map each secret these automations declare, and no other."""
    pad = " " * indent
    names = secret_names(automations)
    lines = [f"{pad}# The secrets this automation declares, and no other's."]
    lines += [f"{pad}{name}: ${{{{ secrets.{name} }}}}" for name in names]
    lines.append(f'{pad}AUTOKIT_MAPPED_SECRETS: "{" ".join(names)}"')
    return "\n".join(lines)


def notify_secrets(automation: Automation) -> list[str]:
    """The secrets the automation's `notify:` names: the chat webhook's URL, the SMTP password."""
    notify = automation.notify
    if notify is None:
        return []
    names = [notify.webhook_secret, notify.email.password_secret if notify.email else None]
    return sorted({name for name in names if name})


def notify_env(automation: Automation, indent: int) -> str:
    """The notify step's `env:` lines for those secrets; empty when it names none."""
    pad = " " * indent
    names = notify_secrets(automation)
    if not names:
        return ""
    lines = [f"{pad}# The secrets its `notify:` names, and no other."]
    return "\n".join(lines + [f"{pad}{name}: ${{{{ secrets.{name} }}}}" for name in names])


def render_scheduled_workflow(repo: Repository, automations: Sequence[Automation]) -> str:
    """The text of `.github/workflows/scheduled.yml` for these automations."""
    scheduled = [a for a in automations if a.schedule]
    return _render(
        repo, SCHEDULED_TEMPLATE, entries=cron_entries(automations), jobs=automation_jobs(scheduled)
    )


def render_run_workflow(repo: Repository, automations: Sequence[Automation]) -> str:
    """The text of `.github/workflows/run.yml`: a job for each automation."""
    return _render(repo, RUN_TEMPLATE, jobs=automation_jobs(automations))


def render_run_forms(repo: Repository, automations: Sequence[Automation]) -> dict[str, str]:
    """Path -> text of each Run form that `[tool.autokit] run_forms` asks for."""
    setting = forms.run_forms_setting(repo.config, repo.root / "pyproject.toml")
    chosen = forms.with_forms(automations, setting)
    if not chosen:
        return {}
    template = _template(repo, forms.FORM_TEMPLATE)
    return forms.render_forms(
        template, chosen, lambda a: secrets_env([a], 10), lambda a: notify_env(a, 10)
    )


def generated_forms(root: Path) -> dict[str, str]:
    """Path -> text of the Run forms in the repository that `render` wrote (by their marker)."""
    found: dict[str, str] = {}
    folder = root / forms.FORMS_FOLDER
    for path in sorted(folder.glob(f"{forms.FORM_PREFIX}*.yml")) if folder.is_dir() else []:
        relative = f"{forms.FORMS_FOLDER}/{path.name}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # not one of ours: ours are UTF-8 text
        if forms.is_generated_form(relative, text):
            found[relative] = text
    return found


def _render(repo: Repository, template_name: str, **values: object) -> str:
    return _template(repo, template_name).render(**values)


def _template(repo: Repository, template_name: str) -> Template:
    # YAML, not HTML: no autoescape; every value is validated metadata.
    from jinja2 import TemplateNotFound

    folder = template_folder(repo, template_name)
    # A repository's own template may include the toolkit's pieces it does not copy.
    environment = sandboxed_environment([folder, TOOLKIT_TEMPLATES], autoescape=False)
    try:
        return environment.get_template(template_name)
    except TemplateNotFound:
        raise ToolkitError(
            f"the template {template_name} is missing (looked in templates/ and in {folder})",
            f"restore templates/{template_name} (`git checkout -- templates/`)",
        ) from None


TOOLKIT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# included by the workflow templates
INCLUDED_TEMPLATES = ("workflows/ledger-job.yml.j2", "workflows/notify-job.yml.j2")


def template_folder(repo: Repository, template_name: str = "workflows/scheduled.yml.j2") -> Path:
    """The repository's `templates/` when it has the template, else the toolkit's own."""
    own = repo.root / "templates"
    if (own / template_name).is_file():
        for name in (template_name, *INCLUDED_TEMPLATES):
            refuse = linked_part(own / name, repo.root)  # jinja2's loader would follow it
            if refuse is not None:
                shown = Path(os.path.relpath(refuse, repo.root)).as_posix()
                raise ToolkitError(str(LinkedFile(shown)), LINK_HINT)
        return own
    return TOOLKIT_TEMPLATES


def workflow_crons(repo: Repository) -> set[str]:
    """The cron expressions of the committed scheduled workflow (empty when it is missing)."""
    from toolkit.metadata.yamlfile import YamlProblem, decode, parse_value, read_bytes

    try:
        data = parse_value(decode(read_bytes(repo.root / SCHEDULED_WORKFLOW)))
    except (OSError, YamlProblem):
        return set()
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = data.get("on", data.get(True)) if isinstance(data, dict) else None
    entries = triggers.get("schedule") if isinstance(triggers, dict) else None
    crons: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("cron"), str):
            try:
                crons.add(cron.parse(entry["cron"]).expression)
            except cron.CronError:
                continue
    return crons
