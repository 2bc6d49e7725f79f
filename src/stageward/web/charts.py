"""Horizontal bar charts laid out for a server-rendered SVG (pure): one bar per group, scaled to the largest."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 180
BAR_AREA = 420
VALUE_WIDTH = 110
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as text beside the bar
    y: int
    width: int  # in pixels; at least 1 for a value above zero, so a small cost is still seen


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    bar_x: int
    value_x: int


def bar_chart(values: list[tuple[str, float]], unit: str = "") -> Chart:
    """VALUES (label, value), largest first; negative values are drawn as zero (a cost is never below)."""
    ordered = sorted(values, key=lambda pair: (-pair[1], pair[0]))
    largest = max((value for _, value in ordered), default=0.0)
    bars = []
    for index, (label, value) in enumerate(ordered):
        width = 0 if value <= 0 or largest <= 0 else max(1, round(BAR_AREA * value / largest))
        bars.append(Bar(label, value, f"{unit}{value:,.2f}", index * ROW_HEIGHT, width))
    return Chart(
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=max(1, len(bars)) * ROW_HEIGHT,
        bar_x=LABEL_WIDTH,
        value_x=LABEL_WIDTH + BAR_AREA + 8,
    )
