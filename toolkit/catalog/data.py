"""`catalog.json`: every automation's metadata, versions and runs, for other tools."""

from __future__ import annotations

import json
from collections.abc import Callable

from toolkit import __version__
from toolkit.catalog.impact import impact_of
from toolkit.catalog.model import Catalog, Entry
from toolkit.ledger.summary import RunFigures


def catalog_json(catalog: Catalog, url_of: Callable[[str], str]) -> str:
    """The catalog as JSON; `url_of(name)` gives an automation page's site-relative URL."""
    document = {
        "autokit_version": __version__,
        "repository_url": catalog.repository_url,
        "notes": catalog.notes,
        "automations": [_automation(entry, url_of(entry.name)) for entry in catalog.entries],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)


def _automation(entry: Entry, url: str) -> dict[str, object]:
    impact = impact_of(entry.automation)
    return {
        **entry.automation.to_dict(),
        "url": url,
        "created": entry.created,
        "versions": [
            {
                "version": v.version,
                "date": v.date,
                "commit": v.commit,
                "tag": f"{entry.name}@{v.version}" if v.commit else None,
            }
            for v in entry.versions
        ],
        "contributors": [{"name": c.name, "commits": c.commits} for c in entry.contributors],
        "runs_per_month": round(impact.runs_per_month, 2),
        "hours_saved_per_month": round(impact.hours_per_month, 2),
        "runs": _runs(entry.runs),
        "notes": entry.notes,
    }


def _runs(figures: RunFigures | None) -> dict[str, object]:
    """What the run ledger measured (the same keys when it holds no run of it)."""
    last = figures.last_run if figures else None
    return {
        "last_30_days": figures.runs_30_days if figures else 0,
        "success_rate_30_days": figures.success_rate_30_days if figures else None,
        "last_run": {"status": last.status, "started_at": last.started_at} if last else None,
        "hours_saved_30_days": figures.hours_30_days if figures else 0.0,
        "hours_saved_total": figures.hours_total if figures else 0.0,
    }
