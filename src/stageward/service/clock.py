"""Time as a dependency, so tests can pin it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601, so timestamps sort as text on every database."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str, *, option: str) -> str:
    """An ISO date or time given by a user, as the store writes times (fixed-width UTC); no offset means UTC."""
    from stageward.errors import BadInput

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise BadInput(
            f"{option} {shown!r}: expected an ISO date or time, for example 2026-11-01 or 2026-11-01T08:00:00+01:00"
        ) from None
    return timestamp(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
