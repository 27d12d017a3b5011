"""Estimated hours saved: runs per month from each schedule times `time_saved_minutes`.

Automations without a schedule run on demand; the estimate cannot know their runs, so they
count zero in it and the page says so. What runs really saved is measured by the run
ledger (`toolkit.ledger.summary`); `month_chart` draws those figures month by month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_chart(
    figures: Sequence[tuple[str, float]], what: str, shown: Callable[[float], str]
) -> str:
    """A column chart of one figure per month (`(YYYY-MM, value)`, oldest first) as inline
    SVG: no script, and no style attribute (the site's policy refuses inline styles), only
    classes of the site's style sheet. Every label is escaped; `shown` writes a value."""
    if not figures:
        return ""
    top = max(value for _, value in figures) or 1.0
    column, plot, above, below = 44, 80, 16, 32
    width, height = column * len(figures) + 10, above + plot + below
    base = above + plot
    parts = [
        f'<svg class="ak-chart ak-trend" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-label="{escape(what)}">',
        f'<line class="ak-axis" x1="5" y1="{base}" x2="{width - 5}" y2="{base}"></line>',
    ]
    for index, (month, value) in enumerate(figures):
        x = 5 + index * column
        middle = x + column / 2
        bar = plot * value / top
        label = escape(f"{month}: {shown(value)}")
        parts.append(
            f'<rect x="{x + 5}" y="{base - bar:.1f}" width="{column - 10}" height="{bar:.1f}"'
            f' rx="2"><title>{label}</title></rect>'
        )
        if value:
            parts.append(
                f'<text x="{middle}" y="{base - bar - 4:.1f}" text-anchor="middle">'
                f"{escape(shown(value))}</text>"
            )
        parts.append(
            f'<text x="{middle}" y="{base + 14}" text-anchor="middle">'
            f"{escape(_month_name(month))}</text>"
        )
        if index == 0 or month.endswith("-01"):
            year = escape(month[:4])
            parts.append(f'<text x="{middle}" y="{base + 28}" text-anchor="middle">{year}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _month_name(month: str) -> str:
    number = month[5:7]
    return MONTH_NAMES[int(number) - 1] if number.isdigit() and 1 <= int(number) <= 12 else month


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
