"""Every automation folder has the files a reader and CI rely on.

An automation folder holds `README.md` (what it does, shown in the catalog),
`CHANGELOG.md` (one `## <version>` section per version, used as the release notes),
a `tests/` folder with at least one `test_*.py` file (run by `autokit test`), and the
entrypoint named in `automation.yaml`.

Fix: add the missing file; `autokit new` scaffolds a complete folder to copy from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.findings import Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

REQUIRED_FILES = {
    "README.md": "add a README.md saying what the automation does and how to use it",
    "CHANGELOG.md": "add a CHANGELOG.md with a '## <version>' section for each version",
}


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        findings += _missing_files(ctx, name)
        findings += _missing_tests(ctx, name)
        findings += _missing_entrypoint(ctx, name)
    return findings


def _missing_files(ctx: PolicyContext, name: str) -> list[Finding]:
    folder = ctx.folder(name)
    return [
        ctx.finding(folder / file, f"{file} is missing", hint)
        for file, hint in REQUIRED_FILES.items()
        if not (folder / file).is_file()
    ]


def _missing_tests(ctx: PolicyContext, name: str) -> list[Finding]:
    tests = ctx.folder(name) / "tests"
    if any(tests.glob("test_*.py")) or any(tests.glob("*_test.py")):
        return []
    what = "tests/ has no test_*.py file" if tests.is_dir() else "tests/ is missing"
    return [ctx.finding(tests, what, "add tests/test_main.py with pytest tests")]


def _missing_entrypoint(ctx: PolicyContext, name: str) -> list[Finding]:
    data = ctx.data(name) or {}
    entrypoint = data.get("entrypoint")
    metadata = ctx.relative(ctx.folder(name) / "automation.yaml")
    already = any(f.path == metadata and f.field == "entrypoint" for f in ctx.inventory.findings)
    if not isinstance(entrypoint, str) or not entrypoint or already:
        return []  # metadata-schema reports a missing or malformed entrypoint
    if (ctx.folder(name) / entrypoint).is_file():
        return []
    return [
        ctx.metadata_finding(
            name,
            "entrypoint",
            f"the entrypoint '{entrypoint}' does not exist",
            "create it or fix the path",
        )
    ]
