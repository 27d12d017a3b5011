"""Running the checks: the context for a change, the configuration applied, waivers kept apart.

`build_context` turns `--base`/`--head`/`--all` into a `PolicyContext` (with the
`[tool.autokit]` configuration read and validated); `run_checks` runs every enabled check
in the registry's order and sets aside the findings a valid waiver covers, so reports can
still show what was waived and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from toolkit import git
from toolkit.checks import CHECKS, check_ids
from toolkit.config import CONFIG_CHECK, PYPROJECT, PolicyConfig, Waiver, load_policy_config
from toolkit.errors import ToolkitError
from toolkit.findings import ERROR, WARNING, Finding, sorted_findings
from toolkit.policy.context import PolicyContext
from toolkit.policy.rules import Rules, config_at
from toolkit.policy.scope import Scope, automation_of, full_scope, scope_of_changes
from toolkit.repo import Repository
from toolkit.suggest import did_you_mean


@dataclass
class PolicyResult:
    findings: list[Finding]
    waived: list[tuple[Finding, Waiver]]
    checks_run: list[str]
    scope: Scope


def build_context(
    repo: Repository,
    base: str | None,
    head: str | None,
    everything: bool,
    uncommitted: bool = False,
    rules: Rules | None = None,
) -> PolicyContext:
    """The context for `--base`/`--head`, or for every automation.

    The scope is what the commits since the merge base changed (Git diffs two trees,
    reading only the folders that differ); with `uncommitted`, uncommitted and untracked
    files join it, at the cost of scanning the whole working tree. With `rules` (those of
    `--base`), the change is judged by their configuration, and its own is validated.
    """
    if head is not None:
        _require_head_checked_out(repo, head)
    proposed = policy_config(repo)
    proposed.findings += _unknown_waived_automations(repo, proposed)
    if everything or base is None:
        return PolicyContext(repo, full_scope(repo), None, proposed)
    if not git.is_git_repository(repo.root):
        raise ToolkitError(
            f"{repo.root} is not inside a Git repository, so there is no --base to compare with",
            "run it in a clone of the repository, or use --all",
        )
    start = git.merge_base(repo.root, base, "HEAD")
    changes = (
        git.changes_to_worktree(repo.root, base)
        if uncommitted
        else git.changed_files(repo.root, base, "HEAD")
    )
    scope = scope_of_changes(repo, changes, start)
    config = _config_of(repo, rules) if rules is not None else None
    if config is None:
        return PolicyContext(repo, scope, start, proposed)
    config.findings = proposed.findings  # problems the change can fix, at its own lines
    return PolicyContext(repo, scope, start, config, proposed)


def _config_of(repo: Repository, rules: Rules) -> PolicyConfig | None:
    """The rules' `[tool.autokit]`, validated quietly (its problems are the base's)."""
    raw = config_at(repo.root, rules.commit)
    if raw is None:
        return None
    try:
        return load_policy_config(raw, check_ids())
    except ToolkitError:
        return None


def _edits_the_toolkit(ctx: PolicyContext) -> bool:
    """Whether the change, judged by the base's rules, edits the code of those rules."""
    if ctx.config is ctx.proposed_config:
        return False
    return any(path.startswith("toolkit/") for path in ctx.scope.other_paths)


def _for_review(finding: Finding) -> Finding:
    """A generated-file finding when the change edits the generator: the base's code cannot
    know what the change's code writes, so the security reviewers (who must review any
    change to toolkit/) decide instead of a failed check."""
    if finding.severity != ERROR:
        return finding
    message = (
        f"{finding.message} (by the base's rules; this change edits toolkit/, which writes "
        "this file, so a security reviewer confirms it)"
    )
    return finding._replace(severity=WARNING, message=message)


def _require_head_checked_out(repo: Repository, head: str) -> None:
    wanted = git.resolve_ref(repo.root, head)
    if wanted != git.head_commit(repo.root):
        raise ToolkitError(
            f"--head {head} is not the commit checked out; checks read the working tree",
            f"run `git checkout {head}` first, or leave out --head",
        )


def _unknown_waived_automations(repo: Repository, config: PolicyConfig) -> list[Finding]:
    """A waiver for an automation that does not exist hides nothing: say so."""
    findings = []
    for waiver in config.waivers:
        if (repo.automations_dir / waiver.automation).is_dir():
            continue  # listing every folder only when a name is wrong keeps policy flat in size
        names = [folder.name for folder in repo.automation_dirs()]
        hint = did_you_mean(waiver.automation, names, "fix the name or remove the waiver")
        message = f"a waiver of {waiver.check} names '{waiver.automation}', which does not exist"
        field = "tool.autokit.waivers.automation"
        findings.append(
            Finding(PYPROJECT, waiver.line, None, CONFIG_CHECK, ERROR, message, hint, field)
        )
    return findings


def policy_config(repo: Repository) -> PolicyConfig:
    """`[tool.autokit]` validated against the check ids (problems as findings).

    The ids are the registry's, plus those of check modules in the working tree's
    `toolkit/checks/`: a change that adds a check may configure it, even while the base's
    rules (which do not know it yet) judge the change.
    """
    pyproject = repo.root / PYPROJECT
    text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
    return load_policy_config(repo.config, [*check_ids(), *_proposed_check_ids(repo)], text)


def _proposed_check_ids(repo: Repository) -> list[str]:
    folder = repo.root / "toolkit" / "checks"
    if not folder.is_dir():
        return []
    return [p.stem.replace("_", "-") for p in folder.glob("*.py") if p.stem != "__init__"]


# Checks comparing a file with what the toolkit's code would write from metadata.
GENERATED_FILE_CHECKS = frozenset({"codeowners-sync", "schedule-sync"})


def run_checks(ctx: PolicyContext, only: Iterable[str] | None = None) -> PolicyResult:
    """Run every enabled check; findings covered by a valid waiver are set aside."""
    wanted = set(only) if only is not None else None
    findings: list[Finding] = list(ctx.config.findings)
    waived: list[tuple[Finding, Waiver]] = []
    ran = []
    new_generators = _edits_the_toolkit(ctx)
    for check_id, check in CHECKS.items():
        if check_id in ctx.config.disabled or (wanted is not None and check_id not in wanted):
            continue
        ran.append(check_id)
        ctx.check_id = check_id
        results = check.check(ctx)
        if new_generators and check_id in GENERATED_FILE_CHECKS:
            results = [_for_review(f) for f in results]
        for finding in results:
            waiver = ctx.config.waiver_for(check_id, automation_of(finding.path))
            if waiver is None:
                findings.append(finding)
            else:
                waived.append((finding, waiver))
    ctx.check_id = ""
    return PolicyResult(sorted_findings(set(findings)), waived, ran, ctx.scope)
