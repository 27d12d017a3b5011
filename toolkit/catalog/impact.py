"""Estimated hours saved: runs per month from each schedule times `time_saved_minutes`.

Automations without a schedule run on demand; without run records their runs are
unknown, so they count zero here and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from toolkit import cron
from toolkit.metadata import Automation

CHART_ROWS = 20


@dataclass(frozen=True)
class Impact:
    name: str
    title: str
    runs_per_month: float
    hours_per_month: float


def impact_of(automation: Automation) -> Impact:
    runs = cron.runs_per_month(cron.parse(automation.schedule)) if automation.schedule else 0.0
    hours = runs * float(automation.time_saved_minutes) / 60
    return Impact(automation.name, automation.title, runs, hours)


def ranking(automations: list[Automation]) -> list[Impact]:
    """Scheduled automations, most hours saved first."""
    impacts = [impact_of(a) for a in automations if a.schedule]
    return sorted(impacts, key=lambda i: (-i.hours_per_month, i.name))


def bar_chart(impacts: list[Impact], href: dict[str, str]) -> str:
    """A horizontal bar chart as inline SVG, built here so no script or CDN draws it.

    Every label is escaped; `href` maps names to page links (escaped too).
    """
    rows = impacts[:CHART_ROWS]
    if not rows:
        return ""
    top = max(i.hours_per_month for i in rows) or 1.0
    label_width, bar_width, row_height = 260, 420, 26
    height = row_height * len(rows) + 10
    parts = [
        f'<svg class="ak-chart" role="img" width="{label_width + bar_width + 90}" height="{height}"'
        f' viewBox="0 0 {label_width + bar_width + 90} {height}"'
        f' aria-label="Hours saved per month, top {len(rows)}">'
    ]
    for index, impact in enumerate(rows):
        y = index * row_height + 5
        width = max(1.0, bar_width * impact.hours_per_month / top)
        title = escape(_shorten(impact.title, 38))
        parts.append(
            f'<a href="{escape(href[impact.name])}"><text x="{label_width - 8}" y="{y + 17}"'
            f' text-anchor="end">{title}</text></a>'
            f'<rect x="{label_width}" y="{y + 4}" width="{width:.1f}" height="{row_height - 8}"'
            f' rx="2"><title>{escape(impact.title)}: {impact.hours_per_month:.1f} h</title></rect>'
            f'<text x="{label_width + width + 6:.1f}" y="{y + 17}">'
            f"{impact.hours_per_month:.1f} h</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
