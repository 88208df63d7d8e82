"""Charts drawn on the server as inline SVG (no chart library, no JavaScript): a page shows its
figures before any script runs, and each bar's <title> is its tooltip."""

import math
from datetime import datetime

from django.utils.html import format_html, format_html_join

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
LABEL_FORMATS = {"hour": "%a %H:%M", "day": "%a %d %b", "week": "%d %b", "month": "%b %Y"}


def tick_step(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n at or above value / 4 (at least 1): round ticks, at most 4 of them."""
    quarter = max(value / 4, 1)
    power = 10 ** math.floor(math.log10(quarter))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= quarter)


def bar_chart(points: list[dict], *, tz, granularity: str, show_value) -> str:
    """An SVG bar chart of [{bucket, value}] (value None: no bar). `show_value` formats a value
    for the axis and the tooltips."""
    values = [float(point["value"]) for point in points if point["value"] is not None]
    highest = max(values, default=0)
    step = tick_step(highest)
    ticks = max(1, math.ceil(highest / step))
    top = step * ticks
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    gap = min(slot * 0.2, 4)
    label_every = max(1, math.ceil(len(points) / 10))
    label_format = LABEL_FORMATS[granularity]
    grid, bars, labels = [], [], []
    for tick in range(ticks + 1):
        value = step * tick
        y = TOP + plot_height - plot_height * tick / ticks
        grid.append((LEFT, f"{y:.1f}", WIDTH - RIGHT, f"{y:.1f}", LEFT - 6, f"{y + 4:.1f}", show_value(value)))
    for index, point in enumerate(points):
        x = LEFT + index * slot
        start: datetime = point["bucket"].astimezone(tz)
        if index % label_every == 0:
            labels.append((f"{x + slot / 2:.1f}", HEIGHT - 8, start.strftime(label_format)))
        if point["value"] is None:
            continue
        height = plot_height * float(point["value"]) / top
        tooltip = f"{start.strftime(label_format)}: {show_value(point['value'])}"
        bars.append(
            (f"{x + gap / 2:.1f}", f"{TOP + plot_height - height:.1f}", f"{slot - gap:.1f}", f"{height:.1f}", tooltip)
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        "time series",
        format_html_join(
            "",
            '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
            grid,
        ),
        format_html_join("", '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>', bars),
        format_html_join("", '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>', labels),
    )
