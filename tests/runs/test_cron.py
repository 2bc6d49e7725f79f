"""Cron expressions named field by field; due times counted, never replayed in bulk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stageward.errors import BadInput
from stageward.runs.cron import MAX_LISTED, check_cron, due_between


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 25 * * *", r"field 2 \(hour\) '25' is not valid"),
        ("61 * * * *", r"field 1 \(minute\) '61'"),
        ("0 0 * 13 *", r"field 4 \(month\) '13'"),
        ("0 0 * * 9", r"field 5 \(day of week\) '9'"),
        ("0 0 *", r"expected 5 fields"),
    ],
)
def test_an_invalid_cron_names_its_field(expression: str, message: str):
    with pytest.raises(BadInput, match=message):
        check_cron(expression)


def test_a_valid_cron_is_kept():
    assert check_cron("0  2 * * *") == "0 2 * * *"


def test_due_between_is_open_at_the_start_and_closed_at_the_end():
    start = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    listed, count = due_between("0 2 * * *", start, datetime(2026, 1, 3, 2, 0, tzinfo=UTC))
    assert count == 2 and [m.day for m in listed] == [2, 3]
    listed, count = due_between("0 2 * * *", start, datetime(2026, 1, 3, 1, 59, tzinfo=UTC))
    assert count == 1


def test_a_long_outage_is_counted_not_listed():
    listed, count = due_between("* * * * *", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    assert count == 24 * 60 and len(listed) == MAX_LISTED
