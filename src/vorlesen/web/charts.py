"""Newsroom charts as server-rendered SVG: no JavaScript, no CDN, nothing to load.

Each function returns a complete ``<svg>`` element as :class:`markupsafe.Markup`. Every
piece of text placed in it is escaped; colours come from attributes and CSS classes (the
pages' Content-Security-Policy forbids inline ``style``). Bars and lines carry ``<title>``
children, so hovering (and screen readers) give the exact values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

__all__ = ["line_chart", "stacked_bar_chart"]

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 46
"""Room for the y-axis labels on the left and two lines of labels/legend below."""

PALETTE = ("#0a58b0", "#b3470b", "#1d6b2f", "#7a3e9d", "#5b6470", "#a3182c")
"""Distinct, colour-blind-tolerant hues with AA contrast on white."""


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def _num(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"


def _frame(label: str, inner: list[str], y_max: float, unit: str) -> Markup:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for frac in (0.0, 0.5, 1.0):
        y = PAD_TOP + plot_h * (1 - frac)
        parts.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#d5dbe2" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#4a5360">{escape(_num(y_max * frac))}{escape(unit)}</text>'
        )
    parts.extend(inner)
    parts.append("</svg>")
    return Markup("".join(parts))


def _empty(label: str, message: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart empty" viewBox="0 0 {WIDTH} 60" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" font-size="13" fill="#4a5360">'
        f"{escape(message)}</text></svg>"
    )


def stacked_bar_chart(
    days: Sequence[date],
    series: Mapping[str, Sequence[float]],
    *,
    label: str,
    names: Mapping[str, str] | None = None,
    empty: str = "Noch keine Daten.",
) -> Markup:
    """Bars per day, stacked by series (e.g. feedback per category), with a legend.

    ``series`` maps a key to one value per day (same length as ``days``); ``names`` gives
    the legend text per key.
    """
    for key, values in series.items():
        if len(values) != len(days):
            raise ValueError(f"series {key!r} has {len(values)} values for {len(days)} days")
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    if not days or not any(totals):
        return _empty(label, empty)
    y_max = _nice_max(max(totals))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(days)
    bar_w = max(2.0, slot * 0.7)
    inner: list[str] = []
    for i, day in enumerate(days):
        x = PAD_LEFT + slot * i + (slot - bar_w) / 2
        base = 0.0
        for n, (key, values) in enumerate(series.items()):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / y_max
            y = PAD_TOP + plot_h * (1 - (base + value) / y_max)
            name = (names or {}).get(key, key)
            inner.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(day.isoformat())}: '
                f"{escape(name)} {escape(_num(value))}</title></rect>"
            )
            base += value
        if len(days) <= 14 or i % max(1, len(days) // 7) == 0:
            inner.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" '
                f'text-anchor="middle" font-size="10" fill="#4a5360">'
                f"{escape(day.strftime('%d.%m.'))}</text>"
            )
    legend_x = PAD_LEFT
    for n, key in enumerate(series):
        name = (names or {}).get(key, key)
        color = PALETTE[n % len(PALETTE)]
        inner.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 7}" font-size="11" fill="#1b1f24">'
            f"{escape(name)}</text>"
        )
        legend_x += 22 + 7 * len(name)
    return _frame(label, inner, y_max, "")


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    label: str,
    unit: str = "",
    empty: str = "Noch keine Daten.",
) -> Markup:
    """A line through ``(x label, value)`` points in order (e.g. real-time factor per render)."""
    if not points:
        return _empty(label, empty)
    y_max = _nice_max(max(v for _, v in points))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(1, len(points) - 1)
    coords = [
        (
            PAD_LEFT + (step * i if len(points) > 1 else plot_w / 2),
            PAD_TOP + plot_h * (1 - value / y_max),
        )
        for i, (_, value) in enumerate(points)
    ]
    inner = [
        '<polyline fill="none" stroke="#0a58b0" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        + '"/>'
    ]
    for (x, y), (name, value) in zip(coords, points, strict=True):
        inner.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0a58b0">'
            f"<title>{escape(name)}: {escape(_num(value))}{escape(unit)}</title></circle>"
        )
    first, last = points[0][0], points[-1][0]
    inner.append(
        f'<text x="{PAD_LEFT}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10" '
        f'fill="#4a5360">{escape(first)}</text>'
    )
    if len(points) > 1:
        inner.append(
            f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10" '
            f'text-anchor="end" fill="#4a5360">{escape(last)}</text>'
        )
    return _frame(label, inner, y_max, unit)
