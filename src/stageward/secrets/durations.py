"""Durations as users write them: `30d`, `12h`, `90m`, `2w`, `1d12h`."""

from __future__ import annotations

import re
from datetime import timedelta

from stageward.errors import BadInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")
_PART = re.compile(r"(\d+)([smhdw])")
# Ten years: past that, a number is a typo, not an intention.
MAX_SECONDS = 10 * 366 * 86_400


def parse_duration(text: str, *, option: str = "duration") -> timedelta:
    """`30d` -> 30 days. Units s, m, h, d, w; parts may be combined (`1d12h`). Zero is refused."""
    cleaned = text.strip().lower()
    # Bounded before int(): a number of thousands of digits is no duration, and int() would refuse it.
    if len(cleaned) > 32 or not _WHOLE.fullmatch(cleaned):
        shown = text if len(text) <= 32 else text[:32] + "..."
        raise BadInput(f"{option} {shown!r}: expected a number and a unit (s, m, h, d or w), for example 30d or 12h")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise BadInput(f"{option} {text!r}: expected a duration greater than zero")
    if seconds > MAX_SECONDS:
        raise BadInput(f"{option} {text!r}: expected at most 10 years")
    return timedelta(seconds=seconds)


def format_duration(seconds: int) -> str:
    """The shortest exact spelling: 2592000 -> `30d`, 5400 -> `90m`."""
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
