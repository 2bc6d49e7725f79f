"""Bar charts (pure): scaled to the largest, ordered, a small value still visible, zero and below drawn empty."""

from __future__ import annotations

from stageward.web.charts import BAR_AREA, ROW_HEIGHT, bar_chart


def test_bars_are_scaled_to_the_largest_and_ordered() -> None:
    chart = bar_chart([("staging", 2.5), ("production", 10.0), ("development", 0.001), ("sandbox", 0.0)], unit="$")
    assert [(b.label, b.width) for b in chart.bars] == [
        ("production", BAR_AREA), ("staging", BAR_AREA // 4), ("development", 1), ("sandbox", 0)
    ]
    assert [b.y for b in chart.bars] == [0, ROW_HEIGHT, 2 * ROW_HEIGHT, 3 * ROW_HEIGHT]
    assert chart.bars[0].shown == "$10.00"
    assert chart.height == 4 * ROW_HEIGHT


def test_an_empty_or_all_zero_chart_has_no_bars_drawn() -> None:
    assert bar_chart([]).bars == [] and bar_chart([]).height == ROW_HEIGHT
    assert [b.width for b in bar_chart([("a", 0.0), ("b", -1.0)]).bars] == [0, 0]
