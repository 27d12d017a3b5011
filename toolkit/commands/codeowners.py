"""`autokit codeowners`: write .github/CODEOWNERS from the owners in metadata."""

from __future__ import annotations

import argparse
import os
import sys

from toolkit.errors import ToolkitError
from toolkit.repo import Repository, repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the file is out of date")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    return write_codeowners(repo, check_only=args.check)


def expected_codeowners(repo: Repository) -> str:
    from toolkit import codeowners
    from toolkit.checks import check_ids
    from toolkit.findings import has_errors, sorted_findings
    from toolkit.inventory import load_inventory
    from toolkit.policy import policy_config

    inventory = load_inventory(repo)
    if has_errors(inventory.findings):
        listing = "\n".join(f.as_line() for f in sorted_findings(inventory.findings)[:20])
        raise ToolkitError(f"cannot generate CODEOWNERS from invalid metadata:\n{listing}",
                           "fix these first (`autokit validate` lists them all)")
    config = policy_config(repo, check_ids())
    return codeowners.render(inventory.automations, config.security_reviewers,
                             config.default_owners)


def write_codeowners(repo: Repository, check_only: bool = False) -> int:
    from toolkit import codeowners

    expected = expected_codeowners(repo)
    current = codeowners.read(repo.root)
    if current == expected:
        print(f"{codeowners.CODEOWNERS_PATH} is up to date", file=sys.stderr)
        return 0
    if check_only:
        state = "missing" if current is None else "out of date"
        print(f"{codeowners.CODEOWNERS_PATH} is {state}; run `autokit codeowners` and commit "
              "it", file=sys.stderr)
        return 1
    target = repo.root / codeowners.CODEOWNERS_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".CODEOWNERS.{os.getpid()}.tmp")
    temporary.write_text(expected, encoding="utf-8")
    os.replace(temporary, target)  # never a half-written file
    print(f"wrote {codeowners.CODEOWNERS_PATH}", file=sys.stderr)
    return 0
