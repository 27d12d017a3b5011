"""`autokit ideas fetch --output FILE`: the ideas backlog from GitHub, for the catalog.

Reads every issue labelled `idea` (open and closed) through GitHub's REST API
(`GITHUB_API_URL`, default https://api.github.com; `GITHUB_REPOSITORY`; `GITHUB_TOKEN`,
read-only is enough) and writes FILE, which `autokit catalog build --ideas FILE` shows as
the Ideas page. Automations that record `idea: N` in their metadata mark idea N built.
The API failing, rate limiting past its retries, or answering nothing readable leaves FILE
as it was (exit 1, saying what was kept); issues that cannot be read are skipped and
counted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.ideas.fetch import IdeasClient, fetch_into
from toolkit.ideas.model import STATES
from toolkit.ideas.scaffold import built_ideas
from toolkit.repo import find_repository


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="read the idea issues from GitHub into a file")
    fetch.add_argument(
        "--output",
        metavar="FILE",
        default="ideas.json",
        help="the ideas file to write (default: ideas.json); kept as it was on failure",
    )


def run(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.is_dir():
        raise ToolkitError(f"--output {output} is a folder", "name a file, e.g. ideas.json")
    client = IdeasClient.from_environment(os.environ)
    try:
        built = built_ideas(find_repository(getattr(args, "repo", None)))
    except ToolkitError:  # outside a repository: no automation is known to build an idea
        built = {}
    fetched = fetch_into(output, client, built, datetime.now(UTC))
    counts = Counter(idea.state for idea in fetched.ideas.ideas)
    states = ", ".join(f"{counts[state]} {state}" for state in STATES)
    print(f"fetched {len(fetched.ideas.ideas)} ideas ({states}) into {output}")
    if fetched.skipped:
        shown = "; ".join(fetched.skipped[:5]) + ("; ..." if len(fetched.skipped) > 5 else "")
        print(f"skipped {len(fetched.skipped)} issue(s) that are not readable ideas: {shown}")
    if fetched.truncated:
        print("note: only the first 10,000 ideas were read", file=sys.stderr)
    return 0
