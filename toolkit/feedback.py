"""Where people report a problem with an automation: the repository's GitHub issue forms,
opened prefilled by URL parameters (`?template=<form>&<field id>=<value>`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

BUG_REPORT_FORM = "bug-report.yml"  # .github/ISSUE_TEMPLATE/bug-report.yml
AUTOMATION_FIELD = "automation"  # the form's field id the links fill: `name@version`
_REPOSITORY_URL = re.compile(r"https://[^\s\"'<>]+")


def https_url(text: object) -> str | None:
    """`text` when it is one plain https URL (nothing a page could be tricked by), else None."""
    return text if isinstance(text, str) and _REPOSITORY_URL.fullmatch(text) else None


def repository_url(config: Mapping[str, object]) -> str | None:
    """`[tool.autokit] repository_url` when it is an https URL, without a trailing slash."""
    url = https_url(config.get("repository_url"))
    return url.rstrip("/") if url else None


def issue_form_url(
    base_url: str, form: str, automation: str, version: str, title: str | None = None
) -> str:
    """A link that opens the issue form `form` with its automation field (and the issue's
    title, when given) filled in."""
    fields = {"template": form, AUTOMATION_FIELD: f"{automation}@{version}"}
    if title:
        fields["title"] = title
    return f"{base_url}/issues/new?{urlencode(fields)}"
