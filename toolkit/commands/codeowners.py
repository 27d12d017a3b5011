"""`autokit codeowners`: write .github/CODEOWNERS from the owners in metadata."""

from __future__ import annotations

import argparse
import sys

from toolkit import codeowners
from toolkit.commands.valid_inventory import load_valid_inventory
from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.libraries import load_valid_libraries
from toolkit.policy import policy_config
from toolkit.repo import Repository, repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the file is out of date"
    )


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    return write_codeowners(repo, check_only=args.check)


def expected_codeowners(repo: Repository) -> str:
    inventory = load_valid_inventory(
        repo,
        "cannot generate CODEOWNERS from invalid metadata",
        "fix these first (`autokit validate` lists them all)",
    )
    config = policy_config(repo)
    if not config.security_reviewers:
        raise ToolkitError(
            "security_reviewers in [tool.autokit] of pyproject.toml is empty: nobody would own "
            "the rules' files (toolkit/, .github/, pyproject.toml ...)",
            'set security_reviewers = ["@your-org/security"], then run `autokit codeowners`',
        )
    libraries = load_valid_libraries(
        repo.root,
        "cannot generate CODEOWNERS from invalid library metadata",
        "fix these first (`autokit validate` lists them all)",
    )
    return codeowners.render(
        inventory.automations,
        config.security_reviewers,
        config.default_owners,
        libraries.libraries,
    )


def write_codeowners(repo: Repository, check_only: bool = False) -> int:
    expected = expected_codeowners(repo)
    current = codeowners.read(repo.root)
    if current == expected:
        print(f"{codeowners.CODEOWNERS_PATH} is up to date", file=sys.stderr)
        return 0
    if check_only:
        state = "missing" if current is None else "out of date"
        print(
            f"{codeowners.CODEOWNERS_PATH} is {state}; run `autokit codeowners` and commit it",
            file=sys.stderr,
        )
        return 1
    atomic_write(repo.root / codeowners.CODEOWNERS_PATH, expected)  # never a half-written file
    print(f"wrote {codeowners.CODEOWNERS_PATH}", file=sys.stderr)
    return 0
