"""`autokit policy`: run the governance checks on what a pull request changes."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from toolkit import git
from toolkit.checks import CHECKS, documentation, governance_change
from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.findings import has_errors
from toolkit.policy import PolicyContext, PolicyResult, build_context, run_checks
from toolkit.policy.committed import committed_checkout, describe_paths, uncommitted_paths
from toolkit.policy.rules import rules_at, run_under, running_code
from toolkit.repo import Repository, repository_from_args
from toolkit.reporters import (
    STEP_SUMMARY_LIMIT,
    render_github,
    render_grouped_text,
    render_json,
    render_step_summary,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        metavar="REF",
        help="review the automations changed since the merge base with REF "
        "(default: review every automation)",
    )
    parser.add_argument(
        "--head",
        metavar="REF",
        help="the commit under review; must be the one checked out "
        "(default: HEAD and the working tree)",
    )
    parser.add_argument("--all", action="store_true", help="review every automation")
    parser.add_argument(
        "--uncommitted",
        action="store_true",
        help="also review uncommitted and untracked changes (scans the whole working tree); "
        "without it, --base reviews the commits only",
    )
    add_format_argument(parser, "text", "json", "github")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_checks()
    repo = repository_from_args(args)
    reviews_commits = args.base is not None and not args.all and not args.uncommitted
    if not reviews_commits or not git.is_git_repository(repo.root):
        return _review(repo, args)
    left_out = uncommitted_paths(repo.root)
    if not left_out:
        return _review(repo, args)
    _refuse_when_nothing_is_committed(repo, args.base, left_out)
    print(
        f"policy: {len(left_out)} uncommitted or untracked file(s) NOT reviewed "
        f"({describe_paths(left_out)}): only the commits since {args.base} are; commit "
        "them, or add --uncommitted",
        file=sys.stderr,
    )
    with committed_checkout(repo.root) as checkout:
        return _review(Repository(checkout), args)


def _refuse_when_nothing_is_committed(repo: Repository, base: str, left_out: list[str]) -> None:
    """No commit to review while the work is uncommitted: "no findings" would be a false
    pass, so this is an error (exit 1), said first."""
    if git.changed_files(repo.root, base, "HEAD"):
        return
    raise ToolkitError(
        f"nothing to review: no commit since the merge base with {base} changes "
        f"anything, and {len(left_out)} file(s) are uncommitted or untracked "
        f"({describe_paths(left_out)})",
        f"commit them (git add, git commit) and run `autokit policy --base {base}` again, "
        "or add --uncommitted to review them as they are on disk",
    )


def _review(repo: Repository, args: argparse.Namespace) -> int:
    rules = None
    if args.base is not None and not args.all and git.is_git_repository(repo.root):
        rules = rules_at(repo.root, args.base)
        if rules.has_code and not git.matches_tree(running_code(), rules.code):
            return run_under(repo.root, rules, _same_command(repo, args))
    ctx = build_context(repo, args.base, args.head, args.all, args.uncommitted, rules)
    result = run_checks(ctx)
    REPORTERS[args.format](result, ctx)
    return 1 if has_errors(result.findings) else 0


def _same_command(repo: Repository, args: argparse.Namespace) -> list[str]:
    """This command's arguments, for running it again under the base's rules."""
    argv = ["policy", "--repo", str(repo.root), "--base", args.base, "--format", args.format]
    if args.head is not None:
        argv += ["--head", args.head]
    if args.uncommitted:
        argv.append("--uncommitted")
    return argv


def list_checks() -> int:
    for check_id, check in CHECKS.items():
        doc = documentation(check)
        first = doc.splitlines()[0] if doc else ""
        print(f"{check_id:<20} {first}")
    return 0


def _scope_line(result: PolicyResult, ctx: PolicyContext) -> str:
    scope = result.scope
    if ctx.base is None:
        what = f"all {len(scope.names)} automation(s)"
    else:
        what = f"{len(scope.names)} changed automation(s) since {ctx.base[:12]}"
        if scope.deleted:
            what += f", {len(scope.deleted)} deleted"
    return f"{what}; {len(result.checks_run)} check(s) run"


def _waived_lines(result: PolicyResult) -> list[str]:
    return [
        f"waived {finding.check} at {finding.location()} until {waiver.expires}: {waiver.reason}"
        for finding, waiver in result.waived
    ]


def _rules_banner(result: PolicyResult, ctx: PolicyContext) -> list[str]:
    """The first line a reviewer reads when the change touches the rules themselves."""
    if not any(f.check == "governance-change" for f in result.findings):
        return []
    return [
        "This pull request changes the rules; it needs a review by "
        f"{governance_change.reviewers_wanted(ctx)}."
    ]


def report_text(result: PolicyResult, ctx: PolicyContext) -> None:
    for line in _rules_banner(result, ctx):
        print(line, file=sys.stderr)
    if result.findings:
        print(render_grouped_text(result.findings))
    for line in _waived_lines(result):
        print(line, file=sys.stderr)
    verdict = f"{len(result.findings)} finding(s)" if result.findings else "no findings"
    print(f"policy: {_scope_line(result, ctx)}: {verdict}", file=sys.stderr)


def report_json(result: PolicyResult, ctx: PolicyContext) -> None:
    waived = [
        {**f._asdict(), "waiver": {"reason": w.reason, "expires": w.expires.isoformat()}}
        for f, w in result.waived
    ]
    print(
        render_json(
            result.findings,
            base=ctx.base,
            automations=result.scope.names,
            deleted=result.scope.deleted,
            checks=result.checks_run,
            waived=waived,
            rules_changed=bool(_rules_banner(result, ctx)),
        )
    )


def _generated_files_section(result: PolicyResult, ctx: PolicyContext, room: int) -> str:
    """For a pull request made in the browser: the content `autokit schedule render`
    would write into each generated workflow that is out of date, to paste in GitHub's
    editor (nobody needs a terminal; no job gets a write token for it)."""
    if not any(f.check == "schedule-sync" for f in result.findings):
        return ""
    from toolkit.commands.schedule import stale_workflows

    try:
        stale, removed = stale_workflows(ctx.repo)
    except ToolkitError:  # invalid metadata: metadata-schema's findings come first
        return ""
    if not stale and not removed:
        return ""
    parts = [
        "\n### Generated workflows to update\n\n"
        "Without a terminal: on GitHub, open each file below on this pull request's branch, "
        "edit it (or *Add file* for a new one), replace its whole content with the text "
        "shown, and commit to the branch. With a terminal: `autokit schedule render`.\n"
    ]
    parts += [f"\n- delete `{path}` (no automation has this form any more)\n" for path in removed]
    for path, text in sorted(stale.items()):
        fence = "`" * max(3, _longest_backticks(text) + 1)  # no line can close it early
        parts.append(
            f"\n<details><summary><code>{path}</code></summary>\n\n{fence}yaml\n{text}{fence}\n\n</details>\n"
        )
    section = "".join(parts)
    return (
        section
        if len(section.encode("utf-8")) <= room
        else parts[0]
        + ("\nThe files are too long for this summary: run `autokit schedule render`.\n")
    )


def _longest_backticks(text: str) -> int:
    return max(map(len, re.findall("`+", text)), default=0)


def report_github(result: PolicyResult, ctx: PolicyContext) -> None:
    if result.findings:
        print(render_github(result.findings))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        target = Path(summary_path)
        notes = [*_rules_banner(result, ctx), _scope_line(result, ctx), *_waived_lines(result)]
        try:
            used = target.stat().st_size if target.exists() else 0
            markdown = render_step_summary(
                result.findings,
                "autokit policy",
                notes,
                limit=STEP_SUMMARY_LIMIT - used,
                blob_url=_blob_url(ctx),
            )
            markdown += _generated_files_section(
                result, ctx, STEP_SUMMARY_LIMIT - used - len(markdown)
            )
            with target.open("a", encoding="utf-8") as file:
                file.write(markdown)
        except OSError as error:  # the annotations above still reach the reviewer
            print(
                f"autokit: could not append the job summary to {summary_path}: "
                f"{error.strerror or error}",
                file=sys.stderr,
            )
    print(f"policy: {_scope_line(result, ctx)}", file=sys.stderr)


def _blob_url(ctx: PolicyContext) -> str | None:
    """Where GitHub shows the files of the commit checked, from the workflow's variables."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if not server or not repository or not git.is_git_repository(ctx.root):
        return None
    commit = git.head_commit(ctx.root)
    return f"{server.rstrip('/')}/{repository}/blob/{commit}/" if commit else None


REPORTERS: dict[str, Callable[[PolicyResult, PolicyContext], None]] = {
    "text": report_text,
    "json": report_json,
    "github": report_github,
}
