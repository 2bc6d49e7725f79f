"""Which version held each alias at a moment, answered from the alias history (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def holders_at(history: Iterable[Mapping[str, Any]], instant: str) -> dict[str, int]:
    """Alias -> version held at INSTANT, from HISTORY (oldest first; each move has `alias`, `version`, `at`).

    Times are the store's fixed-width UTC text, so comparing them as text is comparing instants. A move made
    exactly at INSTANT counts (the alias held the new version from then on); an alias first set after INSTANT
    is absent.
    """
    held: dict[str, int] = {}
    for move in history:
        if move["at"] <= instant:
            held[str(move["alias"])] = int(move["version"])
    return dict(sorted(held.items()))
