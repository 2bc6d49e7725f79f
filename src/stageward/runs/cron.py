"""Cron expressions of schedules: checked field by field (croniter), and what fell due since a moment (pure)."""

from __future__ import annotations

from datetime import datetime

from stageward.errors import BadInput

FIELDS = ("minute", "hour", "day of month", "month", "day of week")
# Past this many due times in one window the rest are counted, not listed: a scheduler down for a year
# must not build a list of half a million minutes.
MAX_LISTED = 100


def check_cron(expression: str) -> str:
    """EXPRESSION when croniter accepts it as five fields; bad input naming the first bad field otherwise."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) != 5:
        raise BadInput(f"cron {expression!r}: expected 5 fields ({', '.join(FIELDS)}), got {len(fields)}")
    for index, text in enumerate(fields):
        probe = ["*"] * 5
        probe[index] = text
        if not croniter.is_valid(" ".join(probe)):
            raise BadInput(f"cron {expression!r}: field {index + 1} ({FIELDS[index]}) {text!r} is not valid")
    if not croniter.is_valid(expression):
        raise BadInput(f"cron {expression!r}: the fields are valid alone but not together")
    return " ".join(fields)


def due_between(expression: str, after: datetime, until: datetime) -> tuple[list[datetime], int]:
    """The due times in (AFTER, UNTIL], oldest first, at most MAX_LISTED of them, and how many there were."""
    from croniter import croniter

    listed: list[datetime] = []
    count = 0
    walker = croniter(expression, after)
    while True:
        moment = walker.get_next(datetime)
        if moment > until:
            return listed, count
        count += 1
        if len(listed) < MAX_LISTED:
            listed.append(moment)
        if count >= 100_000:  # past this the count is a floor; nobody replays it
            return listed, count
